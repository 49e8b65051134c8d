// The finalised minutes as a page to read and print (@media print leaves only the record).
// The server also renders its own self-contained printable page; both come from the same
// frozen record.

import { h } from '../dom.js';
import { t, formatDate, formatDateTime, currentLang } from '../i18n.js';
import { get } from '../api.js';
import { minutesSection } from '../ui/domains.js';

export default async function minutesPage({ params }) {
  const page = await get(`/api/meetings/${params.id}`);
  const m = page.minutes;
  const final = Boolean(m.finalised_at);
  const print = h('button', { type: 'button', class: 'button primary', text: t('minutes.print'), onclick: () => window.print() });
  return h('article', { class: 'page minutes-page' },
    h('p', { class: 'breadcrumb no-print' }, h('a', { href: `/cases/${m.case.id}`, text: m.case.client_pseudonym })),
    h('h1', { text: `${t('minutes.title')} — ${m.case.client_pseudonym}` }),
    h('p', { class: final ? 'stamp' : 'stamp draft', role: 'status',
      text: final ? t('minutes.finalised', { at: formatDateTime(m.finalised_at), by: m.finalised_by_name || '—' }) : t('minutes.draft') }),
    h('div', { class: 'button-row no-print' }, print,
      h('a', { class: 'button secondary', href: `/api/meetings/${m.meeting_id}/minutes?lang=${currentLang()}`, target: '_blank', rel: 'noopener', text: t('minutes.server_print') })),
    h('dl', { class: 'facts' },
      h('dt', { text: t('minutes.client') }), h('dd', { text: m.case.client_pseudonym }),
      h('dt', { text: t('minutes.prison') }), h('dd', { text: m.case.prison_name }),
      h('dt', { text: t('minutes.municipality') }), h('dd', { text: m.case.municipality_name }),
      h('dt', { text: t('minutes.release') }), h('dd', { text: formatDate(m.case.expected_release) }),
      h('dt', { text: t('minutes.scheduled') }), h('dd', { text: formatDateTime(m.scheduled_at) }),
      h('dt', { text: t('minutes.chair') }), h('dd', { text: m.chair_name }),
      h('dt', { text: t('minutes.purpose') }), h('dd', { class: 'prewrap', text: m.purpose })),
    m.attendance.length ? [h('h2', { text: t('minutes.participants') }),
      // Someone who left and came back (the client after the debrief) is listed once.
      h('ul', {}, [...new Set(m.attendance.map((a) => (a.organisation ? `${a.name}, ${a.organisation}` : a.name)))].map((line) => h('li', { text: line })))] : null,
    m.domains.map((d) => minutesSection(d, { showNotes: true, level: 'h2' })),
    h('p', { class: 'confidential', text: t('minutes.confidential') }));
}
