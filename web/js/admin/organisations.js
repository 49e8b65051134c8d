// The console's organisations: the chain partners, renaming one, adding one.

import { h } from '../dom.js';
import { t, formatDate } from '../i18n.js';
import { get, post, patch } from '../api.js';
import { field, form } from '../ui/form.js';
import { announce } from '../ui/notice.js';
import { render } from '../router.js';
import { organisationKinds } from '../vocabulary.js';
import { frame, requireAdmin, notAdmin } from './frame.js';

export async function adminOrganisationsPage() {
  if (!await requireAdmin()) return notAdmin();
  const organisations = await get('/api/organisations');
  return frame('/admin/organisations', 'admin.orgs.title',
    h('p', { class: 'lead', text: t('admin.orgs.lead') }),
    h('section', { class: 'card', 'aria-labelledby': 'orgs-title' },
      h('h2', { id: 'orgs-title', text: t('admin.orgs.list', { count: organisations.length }) }),
      h('table', { class: 'data-table orgs-table' },
        h('caption', { class: 'sr-only', text: t('admin.orgs.list', { count: organisations.length }) }),
        h('thead', {}, h('tr', {}, ['admin.col.name', 'admin.col.kind', 'admin.col.since', 'admin.col.manage']
          .map((k) => h('th', { scope: 'col', text: t(k) })))),
        h('tbody', {}, organisations.map((o) => h('tr', { dataset: { org: o.name } },
          h('th', { scope: 'row', text: o.name }),
          h('td', { text: organisationKinds.label(o.kind) }),
          h('td', { text: formatDate(o.created_at) }),
          h('td', {}, h('details', { class: 'disclosure' },
            h('summary', { text: t('admin.orgs.rename'), 'aria-label': t('admin.orgs.rename_label', { name: o.name }) }),
            form({
              label: t('admin.orgs.rename_label', { name: o.name }),
              submit: t('form.save'),
              children: [field({ label: t('admin.orgs.new_name'), name: 'name', value: o.name, required: true, attrs: { maxlength: 160 } })],
              onSubmit: async ({ name }) => {
                await patch(`/api/admin/organisations/${o.id}`, { name: name.trim() });
                announce(t('admin.orgs.renamed', { name: name.trim() }));
                await render();
              },
            })))))))),
    h('section', { class: 'card', 'aria-labelledby': 'org-create-title' },
      h('h2', { id: 'org-create-title', text: t('admin.orgs.create') }),
      form({
        label: t('admin.orgs.create'),
        submit: t('admin.orgs.create_submit'),
        className: 'org-create',
        children: [h('div', { class: 'field-row' },
          field({ label: t('admin.col.name'), name: 'name', required: true, attrs: { maxlength: 160, autocomplete: 'off' } }),
          field({ label: t('admin.col.kind'), name: 'kind', kind: 'select', required: true,
            options: [{ value: '', label: t('case.choose_member') }, ...organisationKinds.options()] }))],
        onSubmit: async (v) => {
          await post('/api/admin/organisations', { name: v.name.trim(), kind: v.kind });
          announce(t('admin.orgs.created', { name: v.name.trim() }));
          await render();
        },
      })));
}

