// /meetings/{id}/plan: the client's plan as a page of its own, in his plain words. The client
// reads it here too (after the conference, on the terminal); a professional of the case opens
// it to check what the client reads — the same data, only the texts written for him.

import { h } from '../dom.js';
import { t, formatDateTime } from '../i18n.js';
import { get, ApiError } from '../api.js';
import { refreshMe } from '../session.js';
import { planView } from '../room/client-view.js';

export default async function planPage({ params }) {
  const me = await refreshMe();
  if (!me) throw new ApiError(401, { error: 'unauthorized' });
  const plan = await get(`/api/meetings/${params.id}/plan`);
  const isClient = me.kind === 'invitee' && me.invite_kind === 'client';
  return h('article', { class: 'page narrow plain plan-page' },
    isClient ? null : h('p', { class: 'breadcrumb' }, h('a', { href: `/meetings/${params.id}`, text: t('meeting.title', { when: formatDateTime(plan.scheduled_at) }) })),
    h('h1', { text: isClient ? t('client.plan.title') : t('client.plan.page_title') }),
    isClient ? null : h('p', { class: 'info-box', text: t('client.plan.preview_note') }),
    h('p', { class: 'sub', text: formatDateTime(plan.scheduled_at) }),
    h('section', { class: 'plan', 'aria-label': t('client.plan.title') }, planView(plan)));
}
