// Adding an obstacle to the register and changing one: the same fields, written once. The
// register holds no case content, so the hints ask for the rule or habit, not the person.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { domains, obstacleStatuses } from '../vocabulary.js';
import { field, form } from '../ui/form.js';

/**
 * The form. Without `obstacle` it adds one; with it, it edits (and offers the status).
 * `onSubmit(body)` gets the JSON for POST or PATCH.
 */
export function obstacleForm({ obstacle = null, organisations, users, onSubmit }) {
  const o = obstacle || {};
  const none = (key) => ({ value: '', label: t(key) });
  const children = [
    field({ label: t('obstacle.f.title'), name: 'title', value: o.title || '', required: true, hint: t('obstacle.f.title_hint'),
      attrs: { maxlength: 200 } }),
    field({ label: t('obstacle.f.description'), name: 'description', kind: 'textarea', value: o.description || '',
      hint: t('obstacle.f.description_hint'), attrs: { maxlength: 4000, rows: 4 } }),
    h('div', { class: 'field-row' },
      field({ label: t('obstacle.f.domain'), name: 'domain', kind: 'select', value: o.domain || '',
        options: [none('obstacle.no_domain'), ...domains.options()] }),
      obstacle ? field({ label: t('obstacle.f.status'), name: 'status', kind: 'select', value: o.status,
        options: obstacleStatuses.options() }) : null),
    h('div', { class: 'field-row' },
      field({ label: t('obstacle.f.owner_org'), name: 'owner_organisation_id', kind: 'select', value: o.owner_organisation_id || '',
        hint: t('obstacle.f.owner_org_hint'),
        options: [none('obstacle.no_owner'), ...organisations.map((org) => ({ value: org.id, label: org.name }))] }),
      field({ label: t('obstacle.f.owner_user'), name: 'owner_user_id', kind: 'select', value: o.owner_user_id || '',
        hint: t('obstacle.f.owner_user_hint'),
        options: [none('obstacle.no_owner'), ...users.map((u) => ({ value: u.id, label: `${u.name} — ${u.organisation_name}` }))] })),
  ];
  return form({
    label: obstacle ? t('obstacle.edit') : t('obstacle.add'),
    submit: obstacle ? t('form.save') : t('obstacle.add'),
    className: 'obstacle-form',
    children,
    onSubmit: (values, el) => onSubmit(obstacleBody(values, Boolean(obstacle)), el),
  });
}

/**
 * The JSON for the API. Empty choices are left out: the API keeps what is not named (an
 * owner or domain cannot be removed again, only changed).
 */
function obstacleBody(values, editing) {
  const body = { title: values.title.trim(), description: values.description.trim() };
  for (const name of ['domain', 'owner_organisation_id', 'owner_user_id']) if (values[name]) body[name] = values[name];
  if (editing && values.status) body.status = values.status;
  return body;
}
