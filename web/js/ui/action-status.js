// The one control for changing an agreed action's status, on the case page (owners, between
// conferences) and in the live minutes (the chair): a select named after the action, with the
// statuses in their order. Blocked needs a reason; a refusal puts the select back and says why.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { patch } from '../api.js';
import { actionStatuses } from '../vocabulary.js';
import { announce, errorBox } from './notice.js';
import { promptDialog } from './dialog.js';

/**
 * The select for `action` ({ id, description, status }). Its accessible name names the action,
 * because a table holds one select per action. A saved change is kept in `action.status`, so
 * a later refusal goes back to what the server has.
 */
export function actionStatusSelect(action) {
  const select = h('select', { 'aria-label': t('action.status_of', { what: action.description }) },
    actionStatuses.codes.map((s) => h('option', { value: s, selected: s === action.status, text: actionStatuses.label(s) })));
  let refusal = null;
  select.addEventListener('change', async () => {
    if (refusal) refusal.remove();
    let note;
    if (select.value === 'blocked') {
      note = await promptDialog({ title: t('action.blocked_title'), label: t('action.blocked_reason'), confirm: t('form.save') });
      if (!note) { select.value = action.status; return; }
    }
    try {
      await patch(`/api/actions/${action.id}`, { status: select.value, note });
      action.status = select.value;
      announce(t('action.status_saved'));
    } catch (err) {
      select.value = action.status;
      refusal = errorBox(err);
      select.after(refusal);
    }
  });
  return select;
}
