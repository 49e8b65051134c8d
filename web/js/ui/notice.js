// Messages to the user: a polite announcement for screen readers, and visible boxes for
// errors and confirmations.

import { h } from '../dom.js';
import { errorText } from '../api.js';

/** Says something to screen-reader users without moving focus. */
export function announce(text) {
  const region = document.getElementById('announcer');
  if (!region) return;
  // Clearing first makes a repeated message be read again.
  region.textContent = '';
  setTimeout(() => { region.textContent = text; }, 50);
}

/** A visible error box that screen readers read out at once. */
export function errorBox(err) {
  return h('p', { class: 'error-box', role: 'alert', text: typeof err === 'string' ? err : errorText(err) });
}

/** A calm information box. */
export function infoBox(text, extra) {
  return h('div', { class: 'info-box' }, h('p', { text }), extra);
}

/** A small coloured label for a status such as an action's. */
export function badge(text, kind = 'neutral') {
  return h('span', { class: `badge badge-${kind}`, text });
}

/** The badge of a code of one of the vocabularies (`vocabulary.js`): its label in its tone. */
export function codeBadge(vocabulary, code) {
  return badge(vocabulary.label(code), vocabulary.tone(code));
}
