// The user's notifications, newest first: what happened (a new action, a due date, an
// escalation, a decision), on which case, when, and a link to it. Opening one marks it read.
// A notification holds only ids; the client's pseudonym comes from the user's own case list.
// `/notifications/<id>` (the link in the e-mail) marks one read and goes straight to it.

import { h } from '../dom.js';
import { t, formatDateTime } from '../i18n.js';
import { get, post } from '../api.js';
import { requireUser } from '../session.js';
import { navigate, render } from '../router.js';
import { badge, announce, infoBox } from '../ui/notice.js';
import { setUnread, refreshBell } from '../ui/bell.js';
import { notificationTarget } from '../escalation/model.js';
import { notificationKinds } from '../vocabulary.js';

async function markRead(n) {
  if (n.read_at) return;
  try {
    await post(`/api/notifications/${n.id}/read`);
  } catch { /* still open what was asked for; it stays unread */ }
  refreshBell();
}

export default async function notificationsPage() {
  await requireUser();
  const [list, cases] = await Promise.all([get('/api/notifications?limit=200'), get('/api/cases').catch(() => [])]);
  const names = new Map(cases.map((c) => [c.id, c.client_pseudonym]));
  const unread = list.filter((n) => !n.read_at).length;
  const readAll = h('button', { type: 'button', class: 'button secondary', text: t('notifications.read_all') });
  readAll.addEventListener('click', async () => {
    const result = await post('/api/notifications/read-all');
    setUnread(result.unread);
    announce(t('notifications.all_read'));
    await render();
  });
  return h('section', { class: 'page medium notifications-page' },
    h('h1', { text: t('notifications.title') }),
    h('p', { class: 'lead', text: unread ? t('bell.unread', { count: unread }) : t('bell.none') }),
    unread ? h('div', { class: 'button-row' }, readAll) : null,
    list.length ? h('ul', { class: 'notification-list' }, list.map((n) => item(n, names))) : infoBox(t('notifications.none')),
    h('p', { class: 'sub', text: t('notifications.privacy') }));
}

function item(n, names) {
  const target = notificationTarget(n);
  const kind = notificationKinds.label(n.kind);
  const open = h('a', { href: target, class: 'button small secondary', text: t('notifications.open'), 'aria-label': t('notifications.open_what', { what: kind }) });
  open.addEventListener('click', async (event) => {
    if (event.button !== 0 || event.metaKey || event.ctrlKey || event.shiftKey || event.altKey) return;
    event.preventDefault();
    await markRead(n);
    navigate(target);
  });
  const mark = n.read_at ? null : h('button', {
    type: 'button', class: 'button link', text: t('notifications.mark_read'), 'aria-label': t('notifications.mark_read_what', { what: kind }),
    onclick: async () => {
      await markRead(n);
      announce(t('notifications.marked'));
      await render();
    },
  });
  return h('li', { class: n.read_at ? 'notification' : 'notification unread', dataset: { notificationId: n.id, kind: n.kind } },
    h('div', { class: 'notification-text' },
      h('p', { class: 'notification-kind' }, n.read_at ? null : [badge(t('notifications.new'), 'info'), ' '], h('strong', { text: kind })),
      h('p', { class: 'sub', text: [names.get(n.case_id), formatDateTime(n.created_at)].filter(Boolean).join(' · ') })),
    h('div', { class: 'notification-actions' }, open, mark));
}

/** The e-mail's link: mark read, then go to what it is about. */
export async function notificationRedirect({ params }) {
  await requireUser();
  const n = (await get('/api/notifications?limit=200')).find((x) => x.id === params.id);
  if (!n) return navigate('/notifications', { replace: true });
  await markRead(n);
  return navigate(notificationTarget(n), { replace: true });
}
