// What the room says about end-to-end encryption: encrypted or not (and because of whom), and
// the safety code people can read aloud to each other, shown on request. The professionals'
// and the client's words differ (the client's are plain, B1); the parts are the same.

import { h, uid } from '../../dom.js';
import { t } from '../../i18n.js';
import { announce } from '../../ui/notice.js';

/** The status box of the room; `update()` after every change of the session. */
export function encryptionStatus(session, { plain = false } = {}) {
  const p = plain ? 'e2ee.client.' : 'e2ee.';
  const codeId = uid('safety-code');
  const status = h('div', { class: 'e2ee-mode' });
  // The button and the code stay the same elements, so focus stays on the button when pressed.
  const button = h('button', { type: 'button', class: 'button secondary small', 'aria-expanded': 'false', 'aria-controls': codeId, dataset: { key: 'safety-code-toggle' }, onclick: toggle });
  const changed = h('p', { class: 'safety-code-changed', dataset: { key: 'safety-code-changed' } });
  const digits = h('p', { class: 'safety-code-digits', dataset: { key: 'safety-code' } });
  const help = h('p', { class: 'safety-code-help' });
  const box = h('div', { id: codeId, class: 'safety-code-box', hidden: true, 'aria-live': 'polite' }, changed, digits, help);
  const codePart = h('div', { class: 'safety-code', hidden: true }, button, box);
  const el = h('div', { class: 'e2ee-status', dataset: { key: 'e2ee-status' } }, status, codePart);
  let open = false;
  let lastKey = '';
  let lastCode = null;
  let changedNote = false;

  function toggle() {
    open = !open;
    changedNote = false;
    update();
  }

  function update() {
    const s = session.state;
    const e = session.e2ee;
    const code = s.phase === 'in' ? e.code : null;
    if (lastCode && code && code !== lastCode) {
      changedNote = true;
      // Said whether or not the code is shown: someone's key came in or went.
      announce(t(`${p}code_changed`));
    }
    lastCode = code || lastCode;
    const key = JSON.stringify([s.phase, e.supported, e.mode.encrypted, e.mode.without.map((x) => x.name), code, open, changedNote]);
    if (key === lastKey) return;
    lastKey = key;
    status.replaceChildren(...modeLines(s, e));
    codePart.hidden = !code;
    if (code) {
      button.textContent = t(open ? `${p}code_hide` : `${p}code_show`);
      button.setAttribute('aria-expanded', String(open));
      box.hidden = !open;
      changed.hidden = !changedNote;
      changed.textContent = changedNote ? t(`${p}code_changed`) : '';
      digits.textContent = code;
      help.textContent = t(`${p}code_help`);
    }
  }

  function modeLines(s, e) {
    if (s.phase === 'lobby' && !e.supported) {
      return [h('div', { class: 'warning-box', role: 'status', dataset: { key: 'e2ee-unsupported' } },
        h('p', {}, h('strong', { text: t(`${p}unsupported_title`) })), h('p', { text: t(`${p}unsupported_lobby`) }))];
    }
    if (s.phase !== 'in' || e.mode.encrypted === null) return [];
    if (e.mode.encrypted) {
      return [h('p', { class: 'info-box e2ee-on', role: 'status', dataset: { key: 'e2ee-on', mode: 'encrypted' }, text: t(`${p}on`) })];
    }
    const names = e.mode.without.map((x) => x.name).join(', ');
    return [h('div', { class: 'warning-box e2ee-off', role: 'status', dataset: { key: 'e2ee-off', mode: 'clear' } },
      h('p', {}, h('strong', { text: t(`${p}off_title`) })),
      h('p', { text: t(`${p}off_because`, { names }) }))];
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
