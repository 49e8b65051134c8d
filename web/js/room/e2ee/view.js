// What the room says about end-to-end encryption: encrypted or not (and because of whom), and
// the safety code people can read aloud to each other, shown on request. The professionals'
// and the client's words differ (the client's are plain, B1); the parts are the same.

import { h, uid } from '../../dom.js';
import { t } from '../../i18n.js';
import { announce } from '../../ui/notice.js';

/** The status box of the room; `update()` after every change of the session. */
export function encryptionStatus(session, { plain = false } = {}) {
  const p = plain ? 'e2ee.client.' : 'e2ee.';
  const el = h('div', { class: 'e2ee-status', dataset: { key: 'e2ee-status' } });
  const codeId = uid('safety-code');
  let open = false;
  let lastKey = '';
  let lastCode = null;
  let changedNote = false;

  function toggle() {
    open = !open;
    changedNote = false;
    lastKey = '';
    update();
  }

  function update() {
    const s = session.state;
    const e = session.e2ee;
    const code = e.code;
    if (lastCode && code && code !== lastCode) {
      changedNote = true;
      // Said whether or not the code is shown: a new participant's key changed it.
      announce(t(`${p}code_changed`));
    }
    lastCode = code || lastCode;
    const key = JSON.stringify([s.phase, e.supported, e.mode.encrypted, e.mode.without.map((x) => x.name), code, open, changedNote]);
    if (key === lastKey) return;
    lastKey = key;
    el.replaceChildren(...render(s, e, code));
  }

  function render(s, e, code) {
    if (s.phase === 'lobby' && !e.supported) {
      return [h('div', { class: 'warning-box', role: 'status', dataset: { key: 'e2ee-unsupported' } },
        h('p', {}, h('strong', { text: t(`${p}unsupported_title`) })), h('p', { text: t(`${p}unsupported_lobby`) }))];
    }
    if (s.phase !== 'in' || e.mode.encrypted === null) return [];
    const out = [];
    if (e.mode.encrypted) {
      out.push(h('p', { class: 'info-box e2ee-on', role: 'status', dataset: { key: 'e2ee-on', mode: 'encrypted' }, text: t(`${p}on`) }));
    } else {
      const names = e.mode.without.map((x) => x.name).join(', ');
      out.push(h('div', { class: 'warning-box e2ee-off', role: 'status', dataset: { key: 'e2ee-off', mode: 'clear' } },
        h('p', {}, h('strong', { text: t(`${p}off_title`) })),
        h('p', { text: t(`${p}off_because`, { names }) })));
    }
    if (code) {
      out.push(h('div', { class: 'safety-code' },
        h('button', { type: 'button', class: 'button secondary small', 'aria-expanded': String(open), 'aria-controls': codeId, dataset: { key: 'safety-code-toggle' },
          text: t(open ? `${p}code_hide` : `${p}code_show`), onclick: toggle }),
        h('div', { id: codeId, class: 'safety-code-box', hidden: !open, 'aria-live': 'polite' },
          changedNote ? h('p', { class: 'safety-code-changed', dataset: { key: 'safety-code-changed' }, text: t(`${p}code_changed`) }) : null,
          h('p', { class: 'safety-code-digits', dataset: { key: 'safety-code' }, text: code }),
          h('p', { class: 'safety-code-help', text: t(`${p}code_help`) }))));
    }
    return out;
  }

  return { el, update, relabel: () => { lastKey = ''; } };
}

/** The pre-join warning for a browser that cannot encrypt (null when it can). */
export function unsupportedNotice(supported, plain = false) {
  if (supported) return null;
  const p = plain ? 'e2ee.client.' : 'e2ee.';
  return h('div', { class: 'warning-box', role: 'alert', dataset: { key: 'e2ee-unsupported' } },
    h('p', {}, h('strong', { text: t(`${p}unsupported_title`) })),
    h('p', { text: t(`${p}unsupported_text`) }));
}
