// Form pieces written once: a labelled field of any kind, and a form whose submit shows a
// busy state, reports refusals next to the form and marks the field the server named.

import { h, uid } from '../dom.js';
import { errorText } from '../api.js';
import { t } from '../i18n.js';
import { errorBox } from './notice.js';

/**
 * A labelled control. `kind`: any input type, `textarea`, `select` (with `options`:
 * [{value, label}]) or `checkbox`. `hint` is read out with the control.
 */
export function field({ label, name, kind = 'text', value = '', required = false, hint, options, attrs = {} }) {
  const id = uid(name);
  const hintId = hint ? `${id}-hint` : null;
  const common = { id, name, required, 'aria-describedby': hintId, ...attrs };
  let control;
  if (kind === 'textarea') control = h('textarea', { ...common, rows: attrs.rows || 4, value });
  else if (kind === 'select') {
    control = h('select', common, (options || []).map((o) => h('option', { value: o.value, selected: o.value === value, text: o.label })));
  } else if (kind === 'checkbox') {
    control = h('input', { ...common, type: 'checkbox', checked: Boolean(value) });
    return h('div', { class: 'field field-check' }, control,
      h('label', { for: id, text: label }),
      hint ? h('p', { class: 'hint', id: hintId, text: hint }) : null);
  } else control = h('input', { ...common, type: kind, value });
  return h('div', { class: 'field' },
    h('label', { for: id }, label, required ? h('span', { class: 'required', text: ` (${t('form.required')})` }) : null),
    hint ? h('p', { class: 'hint', id: hintId, text: hint }) : null,
    control);
}

/**
 * A group of radio buttons in a fieldset whose legend asks the question; each option may have
 * a hint that is read out with it.
 */
export function radioGroup({ legend, name, options, value = null, required = false, className = '' }) {
  return h('fieldset', { class: `field radio-group ${className}` },
    h('legend', {}, legend, required ? h('span', { class: 'required', text: ` (${t('form.required')})` }) : null),
    options.map((o) => {
      const id = uid(`${name}-${o.value}`);
      const hintId = o.hint ? `${id}-hint` : null;
      return h('div', { class: 'radio-option' },
        h('input', { type: 'radio', id, name, value: o.value, checked: o.value === value, required, 'aria-describedby': hintId }),
        h('label', { for: id, text: o.label }),
        o.hint ? h('p', { class: 'hint', id: hintId, text: o.hint }) : null);
    }));
}

/** The values of a form's named controls (checkboxes as booleans, the checked radio of a group). */
export function values(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name || (el.type === 'radio' && !el.checked)) continue;
    out[el.name] = el.type === 'checkbox' ? el.checked : el.value;
  }
  return out;
}

/**
 * A form that calls `onSubmit(values, form)`; while it runs the submit button is busy, and a
 * refusal is shown above the buttons (and the named field gets aria-invalid and focus).
 */
export function form({ label, children, submit, onSubmit, extraButtons = [], className = '' }) {
  const status = h('div', { class: 'form-status' });
  const button = h('button', { type: 'submit', class: 'button primary', text: submit });
  const el = h('form', { class: `form ${className}`, 'aria-label': label, novalidate: false },
    children, status, h('div', { class: 'form-buttons' }, button, extraButtons));
  el.addEventListener('submit', async (event) => {
    event.preventDefault();
    status.replaceChildren();
    for (const bad of el.querySelectorAll('[aria-invalid]')) bad.removeAttribute('aria-invalid');
    button.disabled = true;
    button.setAttribute('aria-busy', 'true');
    try {
      await onSubmit(values(el), el);
    } catch (err) {
      status.replaceChildren(errorBox(errorText(err)));
      const named = err && err.field ? el.querySelector(`[name="${CSS.escape(err.field)}"]`) : null;
      if (named) {
        named.setAttribute('aria-invalid', 'true');
        named.focus();
      }
    } finally {
      button.disabled = false;
      button.removeAttribute('aria-busy');
    }
  });
  return el;
}
