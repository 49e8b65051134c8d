// Building the page from data without innerHTML: text always goes in as text, so names and
// minutes typed by people can never turn into markup (and the CSP forbids inline code anyway).

/**
 * Creates an element. `props`: `class`, `dataset`, `on<event>` listeners, `text`, and any
 * attribute (`true` sets an empty attribute, `false`/`null` leaves it out).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  for (const [key, value] of Object.entries(props || {})) {
    if (value === null || value === undefined || value === false) continue;
    if (key === 'class') el.className = Array.isArray(value) ? value.filter(Boolean).join(' ') : value;
    else if (key === 'dataset') Object.assign(el.dataset, value);
    else if (key === 'text') el.textContent = value;
    else if (key.startsWith('on') && typeof value === 'function') el.addEventListener(key.slice(2), value);
    else if (key === 'value' || key === 'checked' || key === 'selected') el[key] = value;
    else el.setAttribute(key, value === true ? '' : String(value));
  }
  append(el, children);
  return el;
}

/** Appends children: nodes, strings (as text), arrays; skips null/false. */
export function append(parent, children) {
  for (const child of children.flat(Infinity)) {
    if (child === null || child === undefined || child === false) continue;
    parent.append(child instanceof Node ? child : document.createTextNode(String(child)));
  }
  return parent;
}

/** Replaces all children of `parent`. */
export function replace(parent, ...children) {
  parent.replaceChildren();
  return append(parent, children);
}

/** A unique id for label/aria wiring. */
let counter = 0;
export function uid(prefix = 'kt') {
  counter += 1;
  return `${prefix}-${counter}`;
}

/** An icon image that is decorative: the text beside it carries the meaning. */
export function icon(name, className = 'icon') {
  return h('img', { src: `/icons/${name}.svg`, alt: '', class: className, width: 48, height: 48 });
}

/**
 * Replaces a container's content but keeps keyboard focus on "the same" control, so live
 * updates (someone raised a hand) never throw a keyboard user back to the top. Controls are
 * matched by `data-key`, else by their accessible label and class.
 */
export function rerender(container, ...children) {
  const active = document.activeElement;
  const key = active && container.contains(active) ? focusKey(active) : null;
  replace(container, ...children);
  if (!key) return;
  const again = [...container.querySelectorAll('button, a, select, input, textarea, summary')].find((el) => focusKey(el) === key);
  if (again) again.focus({ preventScroll: true });
}

function focusKey(el) {
  return el.dataset.key || `${el.tagName}|${el.getAttribute('aria-label') || ''}|${el.className}|${el.textContent}`;
}
