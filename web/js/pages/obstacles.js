// The obstacles register (knelpunten): the rules and habits of the system that keep blocking
// people, open ones first and those that hit the most cases first, as the API orders them.
// The coordinator and the steering group add and change them; everyone may read the register.

import { h, replace } from '../dom.js';
import { t, formatShortDate } from '../i18n.js';
import { get, post } from '../api.js';
import { requireUser } from '../session.js';
import { navigate } from '../router.js';
import { domains, obstacleStatuses, keepsRegister } from '../vocabulary.js';
import { announce, codeBadge } from '../ui/notice.js';
import { field } from '../ui/form.js';
import { obstacleForm } from '../escalation/obstacle-form.js';

/** Who works on removing it: a person of an organisation, an organisation, or nobody yet. */
export function obstacleOwner(o) {
  if (o.owner_user_name) return `${o.owner_user_name} (${o.owner_organisation_name})`;
  return o.owner_organisation_name || t('obstacle.no_owner');
}

export default async function obstaclesPage({ query }) {
  const user = await requireUser();
  const writer = keepsRegister(user.role);
  const [obstacles, organisations, users] = await Promise.all([
    get('/api/obstacles'),
    writer ? get('/api/organisations') : [],
    writer ? get('/api/users') : [],
  ]);
  const wanted = obstacleStatuses.includes(query.get('status')) ? query.get('status') : '';
  const results = h('div', {});
  const count = h('p', { class: 'queue-count', role: 'status' });
  const show = (status) => {
    const list = status ? obstacles.filter((o) => o.status === status) : obstacles;
    count.textContent = t('obstacles.count', { count: list.length });
    replace(results, obstacleTable(list));
  };
  show(wanted);
  const filter = field({ label: t('obstacles.filter'), name: 'status', kind: 'select', value: wanted,
    options: [{ value: '', label: t('queue.any') }, ...obstacleStatuses.options()] });
  // A status filter only narrows the table below it, so it applies at once without moving focus.
  filter.querySelector('select').addEventListener('change', (event) => {
    const status = event.target.value;
    history.replaceState(null, '', status ? `/obstacles?status=${status}` : '/obstacles');
    show(status);
    announce(count.textContent);
  });
  return h('section', { class: 'page obstacles-page' },
    h('h1', { text: t('obstacles.title') }),
    h('p', { class: 'lead', text: t('obstacles.lead') }),
    writer ? h('details', { class: 'disclosure card' },
      h('summary', { text: t('obstacle.add') }),
      obstacleForm({ organisations, users, onSubmit: async (body) => {
        const created = await post('/api/obstacles', body);
        announce(t('obstacle.added'));
        await navigate(`/obstacles/${created.id}`);
      } })) : null,
    h('div', { class: 'filter-form compact' }, filter),
    count, results);
}

function obstacleTable(list) {
  if (!list.length) return h('p', { class: 'empty', text: t('obstacles.none') });
  return h('table', { class: 'data-table obstacles-table' },
    h('caption', { class: 'sr-only', text: t('obstacles.title') }),
    h('thead', {}, h('tr', {}, ['obstacles.col.title', 'esc.col.domain', 'esc.col.status', 'obstacles.col.owner',
      'obstacles.col.cases', 'obstacles.col.escalations', 'obstacles.col.updated'].map((k) => h('th', { scope: 'col', text: t(k) })))),
    h('tbody', {}, list.map((o) => h('tr', { dataset: { obstacleId: o.id } },
      h('th', { scope: 'row' }, h('a', { href: `/obstacles/${o.id}`, text: o.title })),
      h('td', { text: o.domain ? domains.label(o.domain) : '—' }),
      h('td', {}, codeBadge(obstacleStatuses, o.status)),
      h('td', { text: obstacleOwner(o) }),
      h('td', { class: 'num', text: String(o.cases_affected) }),
      h('td', { class: 'num', text: String(o.escalations) }),
      h('td', { class: 'nowrap', text: formatShortDate(o.updated_at) })))));
}
