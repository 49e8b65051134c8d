// The finalised minutes as a page to read and print (@media print leaves only the record).
// The server also renders its own self-contained printable page; both come from the same
// frozen record.

import { h } from '../dom.js';
import { t, formatDate, formatDateTime, currentLang } from '../i18n.js';
import { get } from '../api.js';
import { minutesSection } from '../ui/domains.js';

/** A moment during a conference: the time alone on the day it started, else date and time. */
function during(value, startedAt) {
  const zone = { timeZone: 'Europe/Amsterdam' };
  const day = (v) => new Intl.DateTimeFormat('en-CA', zone).format(new Date(v));
  if (startedAt && day(value) === day(startedAt)) {
    return new Intl.DateTimeFormat('nl-NL', { ...zone, hour: '2-digit', minute: '2-digit' }).format(new Date(value));
  }
  return formatDateTime(value);
}

/** Attendance per person (someone who left and came back has two periods), as the record says it. */
export function presenceLines(minutes) {
  const people = [];
  for (const a of minutes.attendance) {
    let person = people.find((p) => p.name === a.name && p.organisation === a.organisation && p.role === a.role);
    if (!person) people.push(person = { name: a.name, organisation: a.organisation, role: a.role, periods: [] });
    person.periods.push([a.joined_at, a.left_at]);
  }
  return people.map((p) => {
    const role = t(`role.${p.role}`);
    const periods = p.periods.map(([from, to]) => `${during(from, minutes.started_at)}–${to ? during(to, minutes.started_at) : t('minutes.until_end')}`);
    return `${p.name}${p.organisation ? `, ${p.organisation}` : ''} (${role}): ${periods.join(', ')}`;
  });
}

/** When it was held (or that it was not), and when and by whom it was finalised. */
function heldFacts(m) {
  const facts = m.started_at
    ? [[t('minutes.started'), formatDateTime(m.started_at)], [t('minutes.ended'), m.ended_at ? during(m.ended_at, m.started_at) : t('minutes.still_running')]]
    : [[t('minutes.held'), t('minutes.not_held')]];
  if (m.finalised_at) facts.push([t('minutes.finalised_label'), `${formatDateTime(m.finalised_at)} — ${m.finalised_by_name || '—'}`]);
  return facts.flatMap(([label, value]) => [h('dt', { text: label }), h('dd', { text: value })]);
}

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
      h('a', { class: 'button secondary', href: `/api/meetings/${m.meeting_id}/minutes?lang=${currentLang()}`, target: '_blank', rel: 'noopener', text: t('minutes.server_print') }),
      final ? h('a', { class: 'button secondary', id: 'minutes-pdf', href: `/api/meetings/${m.meeting_id}/minutes.pdf`, download: `verslag-${m.meeting_id}.pdf`, type: 'application/pdf', text: t('minutes.pdf_download') }) : null),
    final && page.record_sha256 ? h('p', { class: 'sub no-print', text: t('minutes.pdf_note') }) : null,
    h('dl', { class: 'facts' },
      h('dt', { text: t('minutes.client') }), h('dd', { text: m.case.client_pseudonym }),
      h('dt', { text: t('minutes.prison') }), h('dd', { text: m.case.prison_name }),
      h('dt', { text: t('minutes.municipality') }), h('dd', { text: m.case.municipality_name }),
      h('dt', { text: t('minutes.release') }), h('dd', { text: formatDate(m.case.expected_release) }),
      h('dt', { text: t('minutes.scheduled') }), h('dd', { text: formatDateTime(m.scheduled_at) }),
      h('dt', { text: t('minutes.chair') }), h('dd', { text: m.chair_name }),
      h('dt', { text: t('minutes.purpose') }), h('dd', { class: 'prewrap', text: m.purpose }),
      heldFacts(m),
      page.record_sha256 ? [h('dt', { text: t('minutes.record_hash') }), h('dd', { class: 'hash', id: 'record-hash', text: page.record_sha256 })] : null),
    h('h2', { text: t('minutes.participants') }),
    m.attendance.length
      ? h('ul', { class: 'attendance' }, presenceLines(m).map((line) => h('li', { text: line })))
      : h('p', { class: 'empty', text: t('minutes.nobody') }),
    m.domains.map((d) => minutesSection(d, { showNotes: true, level: 'h2' })),
    h('p', { class: 'confidential', text: t('minutes.confidential') }));
}
