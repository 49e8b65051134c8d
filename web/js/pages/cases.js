// My cases: nearest release first, with the next conference, overdue actions and the life
// domains not yet under way while the release comes closer than their lead time, so the
// casemanager sees at a glance where time runs out.

import { h } from '../dom.js';
import { t, formatDate, formatDateTime, daysUntil } from '../i18n.js';
import { get } from '../api.js';
import { requireUser } from '../session.js';
import { badge, codeBadge, infoBox } from '../ui/notice.js';
import { domains, caseStatuses, isWithoutCases, mayOpenCases } from '../vocabulary.js';

export default async function casesPage() {
  const user = await requireUser();
  const cases = await get('/api/cases');
  return h('section', { class: 'page' },
    h('div', { class: 'card-head' },
      h('h1', { text: t('cases.title') }),
      mayOpenCases(user.role) ? h('a', { class: 'button primary', href: '/cases/new', text: t('casenew.link') }) : null),
    h('p', { class: 'lead', text: t('cases.greeting', { name: user.name }) }),
    cases.length ? caseTable(cases) : infoBox(t(isWithoutCases(user.role) ? 'cases.none_role' : 'cases.none')));
}

function caseTable(cases) {
  return h('table', { class: 'data-table cases-table' },
    h('caption', { class: 'sr-only', text: t('cases.title') }),
    h('thead', {}, h('tr', {},
      h('th', { scope: 'col', text: t('cases.client') }),
      h('th', { scope: 'col', text: t('cases.release') }),
      h('th', { scope: 'col', text: t('cases.next_meeting') }),
      h('th', { scope: 'col', text: t('cases.actions') }),
      h('th', { scope: 'col', text: t('cases.readiness') }))),
    h('tbody', {}, cases.map((c) => {
      const days = daysUntil(c.expected_release);
      return h('tr', {},
        h('th', { scope: 'row' },
          h('a', { href: `/cases/${c.id}`, text: c.client_pseudonym }),
          c.status === 'closed' ? [' ', codeBadge(caseStatuses, c.status)] : null,
          h('div', { class: 'sub', text: `${c.prison_name} · ${c.municipality_name}` })),
        h('td', {}, formatDate(c.expected_release),
          h('div', { class: days <= 14 ? 'sub urgent' : 'sub', text: days >= 0 ? t('cases.in_days', { days }) : t('cases.released') })),
        h('td', { text: c.next_meeting_at ? formatDateTime(c.next_meeting_at) : t('cases.no_meeting') }),
        h('td', {},
          h('span', { text: t('cases.open_count', { count: c.open_actions }) }),
          c.overdue_actions > 0 ? [' ', badge(t('cases.overdue_count', { count: c.overdue_actions }), 'danger')] : null),
        h('td', {}, readiness(c.readiness || [])));
    })));
}

/** The domains that warn, in words (the badge colour only repeats what the text says). */
function readiness(warnings) {
  if (!warnings.length) return h('span', { class: 'sub', text: t('cases.readiness_none') });
  return h('ul', { class: 'readiness-list', 'aria-label': t('cases.readiness_count', { count: warnings.length }) },
    warnings.map((w) => h('li', {}, badge(domains.label(w.domain), 'danger'))));
}
