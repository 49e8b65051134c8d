// The administrator's console, shared parts: the section navigation, the page frame and the
// refusal for anyone else. The console: accounts (with the requests that wait for a second
// administrator), organisations, the retention period and the whole audit trail. The
// administrator keeps the service, not the cases: nothing here shows a client, and the trail
// names a case by its id only. Whatever would open case content to an account — a new account,
// a reset, a new role or organisation, a reactivation — waits for the OTHER administrator: the
// one who asked sees "waits for a second administrator", the other approves or rejects.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { requireUser } from '../session.js';

export const SECTIONS = [
  { href: '/admin', key: 'admin.nav.accounts' },
  { href: '/admin/organisations', key: 'admin.nav.organisations' },
  { href: '/admin/retention', key: 'admin.nav.retention' },
  { href: '/admin/audit', key: 'admin.nav.audit' },
];

/** The account roles an administrator gives (not guest or client: those have no account). */
export const ACCOUNT_ROLES = ['casemanager', 'coordinator', 'partner', 'steering', 'admin'];

/** The page frame: the console's own navigation and the section's heading. */
export async function frame(current, titleKey, ...content) {
  return h('section', { class: 'page admin-page' },
    h('h1', { text: t(titleKey) }),
    h('nav', { class: 'sub-nav', 'aria-label': t('admin.nav.label') }, h('ul', {},
      SECTIONS.map((s) => h('li', {}, h('a', { href: s.href, text: t(s.key), 'aria-current': s.href === current ? 'page' : null }))))),
    content);
}

/** Refuses anyone but the administrator with a page that says so (the API refuses anyway). */
export async function requireAdmin() {
  const user = await requireUser();
  return user.role === 'admin' ? user : null;
}

export function notAdmin() {
  return h('section', { class: 'page narrow' },
    h('h1', { text: t('admin.title') }),
    h('p', { class: 'error-box', role: 'alert', text: t('admin.only_admin') }),
    h('p', {}, h('a', { href: '/', text: t('admin.back_home') })));
}

