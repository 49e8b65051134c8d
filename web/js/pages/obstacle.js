// One obstacle of the register: what blocks whom, who works on it, how many cases it hit, and
// the escalations where it showed up (only those the reader may see). Those who keep the
// register change its text, owner and status here.

import { h } from '../dom.js';
import { t, formatDateTime } from '../i18n.js';
import { get, patch } from '../api.js';
import { requireUser } from '../session.js';
import { render } from '../router.js';
import { domains, obstacleStatuses } from '../vocabulary.js';
import { announce, codeBadge } from '../ui/notice.js';
import { obstacleForm } from '../escalation/obstacle-form.js';
import { escalationTable } from '../escalation/view.js';
import { obstacleOwner } from './obstacles.js';

export default async function obstaclePage({ params }) {
  await requireUser();
  const o = await get(`/api/obstacles/${params.id}`);
  const [organisations, users] = await Promise.all([
    o.may_edit ? get('/api/organisations') : [],
    o.may_edit ? get('/api/users') : [],
  ]);
  const hidden = o.escalations - o.linked_escalations.length;
  return h('article', { class: 'page obstacle-page' },
    h('p', { class: 'breadcrumb' }, h('a', { href: '/obstacles', text: t('obstacles.title') })),
    h('h1', { text: o.title }),
    h('p', { class: 'status-line' }, codeBadge(obstacleStatuses, o.status)),
    h('dl', { class: 'facts' },
      h('dt', { text: t('esc.col.domain') }), h('dd', { text: o.domain ? domains.label(o.domain) : '—' }),
      h('dt', { text: t('obstacles.col.owner') }), h('dd', { text: obstacleOwner(o) }),
      h('dt', { text: t('obstacles.col.cases') }), h('dd', { text: String(o.cases_affected) }),
      h('dt', { text: t('obstacles.col.escalations') }), h('dd', { text: String(o.escalations) }),
      h('dt', { text: t('obstacle.created') }), h('dd', { text: formatDateTime(o.created_at) }),
      h('dt', { text: t('obstacles.col.updated') }), h('dd', { text: formatDateTime(o.updated_at) })),
    h('section', { class: 'card', 'aria-labelledby': 'description-title' },
      h('h2', { id: 'description-title', text: t('obstacle.f.description') }),
      o.description ? h('p', { class: 'prewrap', text: o.description }) : h('p', { class: 'empty', text: t('minutes.nothing') })),
    o.may_edit ? h('details', { class: 'disclosure card' },
      h('summary', { text: t('obstacle.edit') }),
      obstacleForm({ obstacle: o, organisations, users, onSubmit: async (body) => {
        await patch(`/api/obstacles/${o.id}`, body);
        announce(t('obstacle.saved'));
        await render();
      } })) : null,
    h('section', { class: 'card', 'aria-labelledby': 'linked-title' },
      h('h2', { id: 'linked-title', text: t('obstacle.linked') }),
      escalationTable(o.linked_escalations, { caption: t('obstacle.linked') }),
      hidden > 0 ? h('p', { class: 'sub', text: t('obstacle.hidden', { count: hidden }) }) : null));
}
