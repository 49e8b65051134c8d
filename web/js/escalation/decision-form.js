// The steering group's decision: one of four kinds, always with a note, and the fields that
// kind needs (an organisation and a due date; an obstacle of the register or a new one).
// Fields of the other kinds are hidden and disabled, so the browser neither checks nor sends
// them and the API (which refuses fields of another kind) gets exactly what was chosen.

import { h } from '../dom.js';
import { t, dutchDate } from '../i18n.js';
import { post } from '../api.js';
import { domains, decisions } from '../vocabulary.js';
import { field, form, radioGroup } from '../ui/form.js';
import { decisionBody } from './model.js';

/** Only the controls of the chosen branch count: the others are hidden and disabled. */
function showOnly(groups, chosen) {
  for (const [name, group] of Object.entries(groups)) {
    const on = name === chosen;
    group.hidden = !on;
    for (const control of group.querySelectorAll('input, select, textarea')) control.disabled = !on;
  }
}

/**
 * The form; `onDone(escalation)` runs after the API accepted the decision.
 * `organisations` and `obstacles` come from the directory and the register.
 */
export function decisionForm(escalation, { organisations, obstacles, onDone }) {
  const openObstacles = obstacles.filter((o) => o.status !== 'resolved');
  const assigned = h('div', { class: 'branch' },
    h('div', { class: 'field-row' },
      field({ label: t('decide.organisation'), name: 'assigned_organisation_id', kind: 'select', required: true,
        options: [{ value: '', label: t('decide.choose_organisation') },
          ...organisations.map((o) => ({ value: o.id, label: o.name }))] }),
      field({ label: t('decide.due'), name: 'assigned_due_date', kind: 'date', required: true, hint: t('decide.due_hint'),
        attrs: { min: dutchDate(0) } })));
  const existing = h('div', { class: 'sub-branch' },
    field({ label: t('decide.obstacle'), name: 'obstacle_id', kind: 'select', required: true,
      options: [{ value: '', label: t('decide.choose_obstacle') },
        ...openObstacles.map((o) => ({ value: o.id, label: o.domain ? `${o.title} (${domains.label(o.domain)})` : o.title }))] }));
  const fresh = h('div', { class: 'sub-branch' },
    field({ label: t('obstacle.f.title'), name: 'title', required: true, hint: t('obstacle.f.title_hint'), attrs: { maxlength: 200 } }),
    field({ label: t('obstacle.f.description'), name: 'description', kind: 'textarea', hint: t('obstacle.f.description_hint'),
      attrs: { maxlength: 4000, rows: 3 } }),
    field({ label: t('obstacle.f.domain'), name: 'domain', kind: 'select', value: escalation.domain,
      options: [{ value: '', label: t('obstacle.no_domain') }, ...domains.options()] }));
  const choice = openObstacles.length
    ? radioGroup({ legend: t('decide.which_obstacle'), name: 'obstacle_choice', value: 'existing', required: true,
      options: [{ value: 'existing', label: t('decide.obstacle_existing') }, { value: 'new', label: t('decide.obstacle_new') }] })
    : h('input', { type: 'hidden', name: 'obstacle_choice', value: 'new' });
  const obstacle = h('div', { class: 'branch' }, choice, existing, fresh);
  const branches = { assigned, obstacle };
  const subBranches = { existing, new: fresh };

  const sync = (el) => {
    const kind = (el.querySelector('input[name=decision]:checked') || {}).value;
    showOnly(branches, kind);
    if (kind === 'obstacle') showOnly(subBranches, openObstacles.length ? el.querySelector('input[name=obstacle_choice]:checked').value : 'new');
  };

  const el = form({
    label: t('decide.title'),
    submit: t('decide.submit'),
    className: 'decision-form',
    children: [
      radioGroup({ legend: t('decide.kind'), name: 'decision', required: true,
        options: decisions.options().map((o) => ({ ...o, hint: t(`decide.hint.${o.value}`) })) }),
      assigned, obstacle,
      field({ label: t('decide.note'), name: 'note', kind: 'textarea', required: true, hint: t('decide.note_hint'),
        attrs: { maxlength: 2000, rows: 4 } }),
    ],
    onSubmit: async (values) => {
      const decided = await post(`/api/escalations/${escalation.id}/decision`, decisionBody(values));
      await onDone(decided);
    },
  });
  el.addEventListener('change', () => sync(el));
  sync(el);
  return el;
}
