// Questions that need an answer before something irreversible (finalising, removing someone,
// ending the conference), in the native <dialog>: focus is trapped and Escape cancels.

import { h } from '../dom.js';
import { t } from '../i18n.js';

/** Resolves true when the user confirms. */
export function confirmDialog({ title, text, confirm, danger = false }) {
  return new Promise((resolve) => {
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'dialog-title' },
      h('h2', { id: 'dialog-title', text: title }),
      text ? h('p', { text }) : null,
      h('form', { method: 'dialog', class: 'form-buttons' },
        h('button', { value: 'yes', class: `button ${danger ? 'danger' : 'primary'}`, text: confirm }),
        h('button', { value: 'no', class: 'button secondary', text: t('form.cancel') })));
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'yes');
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}

/**
 * Asks for a short text (e.g. why an action is blocked); resolves with it, or null. `text`
 * says what happens with the answer, read out with the dialog. A one-line field instead of the
 * text area: `input` gives its attributes (e.g. `{ type: 'email' }`); `hint` is read with it.
 */
export function promptDialog({ title, label, confirm, required = true, text = null, input: field = null, hint = null }) {
  return new Promise((resolve) => {
    const described = hint ? 'dialog-hint' : null;
    const input = field
      ? h('input', { ...field, id: 'dialog-input', required, 'aria-describedby': described })
      : h('textarea', { id: 'dialog-input', rows: 3, required, 'aria-describedby': described });
    const dialog = h('dialog', { class: 'dialog', 'aria-labelledby': 'dialog-title', 'aria-describedby': text ? 'dialog-text' : null },
      h('h2', { id: 'dialog-title', text: title }),
      text ? h('p', { id: 'dialog-text', text }) : null,
      h('form', { method: 'dialog', class: 'form' },
        h('div', { class: 'field' }, h('label', { for: 'dialog-input', text: label }), input,
          hint ? h('p', { id: 'dialog-hint', class: 'hint', text: hint }) : null),
        h('div', { class: 'form-buttons' },
          h('button', { value: 'yes', class: 'button primary', text: confirm }),
          h('button', { value: 'no', class: 'button secondary', formnovalidate: true, text: t('form.cancel') }))));
    dialog.addEventListener('close', () => {
      resolve(dialog.returnValue === 'yes' ? input.value.trim() : null);
      dialog.remove();
    });
    document.body.append(dialog);
    dialog.showModal();
  });
}
