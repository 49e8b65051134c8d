// The header: the brand, navigation by role, the notification bell, who is logged in, the
// language and logging out. The current page's entry is marked for screen readers
// (aria-current) and visibly. Guests and the client get no navigation.

import { h, replace } from '../dom.js';
import { t, setLang, currentLang } from '../i18n.js';
import { currentMe } from '../session.js';
import { bell, hasBell, stopBell } from './bell.js';
import { isWithoutCases } from '../vocabulary.js';

/**
 * The entries per role. Steering and admin work with no case content, so they have no case
 * list; the coordinator keeps the overview of the municipality (queue read-only, register,
 * figures); casemanagers and partners work on their cases.
 */
export function navEntries(role) {
  const cases = { href: '/cases', key: 'nav.cases' };
  const queue = { href: '/escalations', key: 'nav.escalations' };
  const obstacles = { href: '/obstacles', key: 'nav.obstacles' };
  const figures = { href: '/figures', key: 'nav.figures' };
  if (role === 'admin') return [{ href: '/admin', key: 'nav.admin' }, queue, obstacles, figures];
  if (isWithoutCases(role)) return [queue, obstacles, figures];
  if (role === 'coordinator') return [cases, queue, obstacles, figures];
  return [cases];
}

/** Whether the entry for `href` is the section of `path` (`/cases/…` belongs to My cases). */
function current(href, path) {
  return path === href || path.startsWith(`${href}/`);
}

export function renderHeader({ onLogout }) {
  const me = currentMe();
  const user = me && me.kind === 'user' ? me.user : null;
  const other = currentLang() === 'nl' ? 'en' : 'nl';
  if (!hasBell(user)) stopBell();
  const nav = user ? h('nav', { 'aria-label': t('nav.label') }, h('ul', { class: 'nav-list' },
    navEntries(user.role).map((e) => h('li', {}, h('a', { href: e.href, dataset: { nav: e.href }, text: t(e.key) }))))) : null;
  replace(document.getElementById('site-header'),
    h('div', { class: 'header-inner' },
      h('a', { class: 'brand', href: user ? '/' : location.pathname },
        h('img', { src: '/icons/favicon.svg', alt: '', width: 32, height: 32 }),
        h('span', { text: t('app.name') })),
      nav,
      h('div', { class: 'header-tools' },
        hasBell(user) ? bell() : null,
        // Name above organisation: the menu, the bell and the tools fit one line on a laptop.
        user ? h('span', { class: 'who' }, h('span', { text: user.name }), h('span', { class: 'who-org', text: user.organisation_name })) : null,
        h('button', {
          type: 'button', class: 'button link', lang: other, onclick: () => setLang(other),
          text: t(`lang.switch_to_${other}`),
        }),
        user ? h('button', { type: 'button', class: 'button link', onclick: onLogout, text: t('nav.logout') }) : null,
        // A guest or the client may be on a shared computer: he can end his visit himself.
        me && me.kind === 'invitee' ? h('button', { type: 'button', class: 'button link', onclick: onLogout, text: t('nav.end_visit') }) : null)));
  document.querySelector('.skip-link').textContent = t('nav.skip');
  markCurrent();
}

/** Marks the navigation entry of the page being shown. */
export function markCurrent() {
  const links = [...document.querySelectorAll('#site-header [data-nav]')];
  // The start page is the first entry of the role's menu.
  const path = location.pathname === '/' && links.length ? links[0].dataset.nav : location.pathname;
  for (const a of links) {
    if (current(a.dataset.nav, path)) a.setAttribute('aria-current', 'page');
    else a.removeAttribute('aria-current');
  }
}
