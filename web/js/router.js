// Client-side routes with the History API (the server answers every extension-less path with
// index.html). A page is an async function that gets the route context and returns an element;
// it may register clean-up (closing a WebSocket, stopping the camera) with `ctx.onLeave`.

import { replace, h } from './dom.js';
import { ApiError, errorText } from './api.js';
import { t } from './i18n.js';

const routes = [];
let leaving = [];
let rendering = 0;
let rendered = false;
// A page that must not be rebuilt on a language switch (the conference room keeps its media)
// relabels itself instead.
let langHandler = null;

/** Registers `page` for a path pattern such as `/cases/:id`. */
export function route(pattern, page) {
  const names = [];
  const source = pattern.replace(/:(\w+)/g, (m, name) => {
    names.push(name);
    return '([^/]+)';
  });
  routes.push({ regex: new RegExp(`^${source}/?$`), names, page });
}

export function navigate(path, { replace: swap = false } = {}) {
  if (swap) history.replaceState(null, '', path);
  else history.pushState(null, '', path);
  return render();
}

/** Sends the user to log in, and back here afterwards. */
export function toLogin() {
  const next = location.pathname + location.search;
  return navigate(`/login?next=${encodeURIComponent(next)}`, { replace: true });
}

function match(pathname) {
  for (const r of routes) {
    const m = r.regex.exec(pathname);
    if (m) return { page: r.page, params: Object.fromEntries(r.names.map((n, i) => [n, decodeURIComponent(m[i + 1])])) };
  }
  return null;
}

/** Renders the current location into <main>. */
export async function render() {
  const token = ++rendering;
  for (const fn of leaving.splice(0)) {
    try { fn(); } catch (err) { console.error(err); }
  }
  langHandler = null;
  const main = document.getElementById('main');
  const found = match(location.pathname);
  main.setAttribute('aria-busy', 'true');
  const ctx = {
    params: found ? found.params : {},
    query: new URLSearchParams(location.search),
    onLeave: (fn) => leaving.push(fn),
    onLang: (fn) => { langHandler = fn; },
    stale: () => token !== rendering,
  };
  let content;
  try {
    content = found ? await found.page(ctx) : notFound();
  } catch (err) {
    if (err instanceof ApiError && err.status === 401 && !location.pathname.startsWith('/login')) return toLogin();
    content = failed(err);
  }
  if (ctx.stale()) return;
  replace(main, content);
  main.removeAttribute('aria-busy');
  const heading = main.querySelector('h1');
  document.title = heading ? `${heading.textContent} — Ketentafel` : 'Ketentafel';
  // After a navigation, focus moves to the new page so screen readers and keyboard users start
  // at its top; on the first load the browser's own start (before the skip link) is kept. A
  // link to a part of a page (a notification about one action) goes to that part instead.
  const part = location.hash.length > 1 ? document.getElementById(decodeURIComponent(location.hash.slice(1))) : null;
  if (part && main.contains(part)) {
    part.setAttribute('tabindex', '-1');
    part.classList.add('targeted');
    part.focus({ preventScroll: true });
    part.scrollIntoView({ block: 'center' });
  } else {
    if (rendered) main.focus({ preventScroll: true });
    window.scrollTo(0, 0);
  }
  rendered = true;
  window.dispatchEvent(new CustomEvent('kt:rendered'));
}

function notFound() {
  return h('section', { class: 'page narrow' },
    h('h1', { text: t('notfound.title') }),
    h('p', { text: t('notfound.text') }),
    h('p', {}, h('a', { href: '/', text: t('nav.cases') })));
}

/** A page that could not load: a 404 here also covers "not yours" (need-to-know). */
function failed(err) {
  const missing = err instanceof ApiError && (err.status === 404 || err.status === 403);
  return h('section', { class: 'page narrow' },
    h('h1', { text: missing ? t('notfound.title') : t('error.title') }),
    h('p', { class: 'error-box', role: 'alert', text: missing ? t('notfound.text') : errorText(err) }),
    h('p', {}, h('a', { href: '/', text: t('nav.cases') })));
}

/** After a language switch: the page relabels itself, or is rendered again. */
export function relabel() {
  return langHandler ? langHandler() : render();
}

/** Same-origin links navigate without reloading; modified clicks behave as usual. */
export function start() {
  document.addEventListener('click', (event) => {
    const a = event.target.closest('a[href]');
    if (!a || event.defaultPrevented || event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    if (a.target || a.hasAttribute('download') || a.dataset.external !== undefined) return;
    const url = new URL(a.href, location.href);
    if (url.origin !== location.origin || url.pathname.startsWith('/api/') || /\.\w+$/.test(url.pathname)) return;
    if (url.pathname === location.pathname && url.hash) return;
    event.preventDefault();
    navigate(url.pathname + url.search);
  });
  window.addEventListener('popstate', render);
  return render();
}
