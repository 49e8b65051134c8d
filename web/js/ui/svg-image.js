// A chart drawn by the server (an SVG with role="img", a <title> and a <desc> that states
// every value in words), placed inline so that screen readers get that text alternative and
// the labels follow the page's zoom. An <img> would hide the SVG's own title and description.
//
// The SVG is parsed as XML (never as HTML), and only drawing elements and plain attributes
// are copied into the page: no scripts, links, foreign HTML, event handlers or style, so even
// a tampered response cannot run code or restyle the page (the CSP forbids both anyway).

const ELEMENTS = new Set(['svg', 'title', 'desc', 'g', 'rect', 'line', 'text', 'tspan', 'path', 'circle', 'polyline']);
const SVG_NS = 'http://www.w3.org/2000/svg';

function safeAttribute(name) {
  return !/^on/i.test(name) && !/href$/i.test(name) && name !== 'style';
}

/** A clean copy of `node` in this document, or null when it is not an allowed element. */
function copy(node) {
  if (node.nodeType === Node.TEXT_NODE) return document.createTextNode(node.nodeValue);
  if (node.nodeType !== Node.ELEMENT_NODE || node.namespaceURI !== SVG_NS || !ELEMENTS.has(node.localName)) return null;
  const el = document.createElementNS(SVG_NS, node.localName);
  for (const attr of node.attributes) if (safeAttribute(attr.name)) el.setAttribute(attr.name, attr.value);
  for (const child of node.childNodes) {
    const clean = copy(child);
    if (clean) el.append(clean);
  }
  return el;
}

/** Fetches the SVG at `url`; resolves with an <svg> element ready to insert. */
export async function inlineSvg(url) {
  const res = await fetch(url, { credentials: 'same-origin', headers: { accept: 'image/svg+xml' } });
  if (!res.ok) throw new Error(`HTTP ${res.status}`);
  const doc = new DOMParser().parseFromString(await res.text(), 'image/svg+xml');
  const svg = copy(doc.documentElement);
  if (!svg || svg.localName !== 'svg') throw new Error('not an SVG image');
  // The drawing keeps its proportions and shrinks with narrow screens (CSS), never overflows.
  svg.removeAttribute('width');
  svg.removeAttribute('height');
  svg.setAttribute('class', 'chart-svg');
  return svg;
}
