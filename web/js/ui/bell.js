// The notification bell in the header: a link to the notifications with the unread count.
// The count is fetched on every page change and every minute while the tab is visible; when
// it goes up, screen-reader users hear it once, politely. Steering and admin are on no case
// and get no notifications, so they get no bell.

import { h, replace } from '../dom.js';
import { t } from '../i18n.js';
import { get } from '../api.js';
import { announce } from './notice.js';
import { isWithoutCases } from '../vocabulary.js';

const POLL_MS = 60_000;
let unread = null;
let link = null;
let timer = null;

export function hasBell(user) {
  return Boolean(user) && !isWithoutCases(user.role);
}

function draw() {
  if (!link) return;
  const count = unread || 0;
  link.classList.toggle('has-unread', count > 0);
  replace(link,
    h('img', { src: '/icons/bell.svg', alt: '', class: 'bell-icon', width: 20, height: 20 }),
    h('span', { text: t('nav.notifications') }),
    count > 0 ? h('span', { class: 'bell-count', 'aria-hidden': 'true', text: count > 99 ? '99+' : String(count) }) : null,
    h('span', { class: 'sr-only', text: count > 0 ? ` (${t('bell.unread', { count })})` : ` (${t('bell.none')})` }));
}

/** Asks the server for the count; a failure leaves the last known count (the bell is not worth an error). */
export async function refreshBell() {
  if (!link) return;
  try {
    const { unread: now } = await get('/api/notifications/unread-count');
    if (unread !== null && now > unread) announce(t('bell.new', { count: now }));
    unread = now;
    draw();
  } catch { /* logged out or offline: the page itself says so */ }
}

/** The bell's link element (one per page; the header is rebuilt on a language switch). */
export function bell() {
  link = h('a', { href: '/notifications', class: 'bell', dataset: { key: 'bell' } });
  draw();
  if (!timer) {
    timer = setInterval(() => { if (document.visibilityState === 'visible') refreshBell(); }, POLL_MS);
    window.addEventListener('kt:rendered', refreshBell);
  }
  refreshBell();
  return link;
}

/** After logging out: no bell, no polling. */
export function stopBell() {
  clearInterval(timer);
  timer = null;
  window.removeEventListener('kt:rendered', refreshBell);
  link = null;
  unread = null;
}

/** Lets pages that mark notifications read update the count at once. */
export function setUnread(count) {
  unread = count;
  draw();
}
