// The console's audit trail: filters in the URL (actor, case number, action, days), the rows
// as a table, and a CSV of exactly the rows shown, made in the browser.

import { h } from '../dom.js';
import { t, formatDateTime } from '../i18n.js';
import { get } from '../api.js';
import { field } from '../ui/form.js';
import { announce } from '../ui/notice.js';
import { navigate } from '../router.js';
import { toCsv, auditColumns } from '../csv.js';
import { frame, requireAdmin, notAdmin } from './frame.js';

/** The API query for the filters of the page's URL (dates are Dutch calendar days). */
export function auditQuery(params) {
  const q = new URLSearchParams();
  for (const name of ['actor', 'case_id', 'action']) {
    const value = (params.get(name) || '').trim();
    if (value) q.set(name, value);
  }
  const from = params.get('from');
  const to = params.get('to');
  if (from) q.set('from', dayStart(from));
  if (to) q.set('before', dayStart(to, 1));
  q.set('limit', '1000');
  return q.toString();
}

/** The start of a Dutch calendar day (plus `days`) as an ISO instant. */
function dayStart(date, days = 0) {
  const d = new Date(`${date}T12:00:00Z`);
  d.setUTCDate(d.getUTCDate() + days);
  const day = d.toISOString().slice(0, 10);
  const guess = Date.parse(`${day}T00:00:00Z`);
  const parts = Object.fromEntries(new Intl.DateTimeFormat('en-GB', { timeZone: 'Europe/Amsterdam', hourCycle: 'h23',
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit' })
    .formatToParts(new Date(guess)).map((p) => [p.type, p.value]));
  const wall = Date.parse(`${parts.year}-${parts.month}-${parts.day}T${parts.hour}:${parts.minute}:00Z`);
  return new Date(guess - (wall - guess)).toISOString();
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

export async function adminAuditPage({ query }) {
  if (!await requireAdmin()) return notAdmin();
  const caseId = (query.get('case_id') || '').trim();
  const badCase = caseId && !UUID.test(caseId);
  const events = badCase ? [] : await get(`/api/admin/audit?${auditQuery(query)}`);
  const filters = h('form', { class: 'filter-form audit-filters', 'aria-label': t('admin.audit.filters'), method: 'get', action: '/admin/audit' },
    h('div', { class: 'field-row' },
      field({ label: t('admin.audit.actor'), name: 'actor', value: query.get('actor') || '', hint: t('admin.audit.actor_hint') }),
      field({ label: t('admin.audit.case_id'), name: 'case_id', value: caseId, attrs: { spellcheck: 'false', autocomplete: 'off' } }),
      field({ label: t('admin.audit.action'), name: 'action', value: query.get('action') || '', hint: t('admin.audit.action_hint') })),
    h('div', { class: 'field-row' },
      field({ label: t('admin.audit.from'), name: 'from', kind: 'date', value: query.get('from') || '' }),
      field({ label: t('admin.audit.to'), name: 'to', kind: 'date', value: query.get('to') || '' })),
    h('div', { class: 'form-buttons' },
      h('button', { type: 'submit', class: 'button primary', text: t('admin.audit.apply') }),
      h('a', { class: 'button secondary', href: '/admin/audit', text: t('admin.audit.clear') })));
  filters.addEventListener('submit', async (event) => {
    event.preventDefault();
    const chosen = new URLSearchParams();
    for (const [name, value] of new FormData(filters)) if (String(value).trim()) chosen.set(name, String(value).trim());
    const search = chosen.toString();
    await navigate(`/admin/audit${search ? `?${search}` : ''}`);
    // Keyboard users stay on the filters, not thrown back to the top.
    const again = document.querySelector('.audit-filters button[type=submit]');
    if (again) again.focus();
  });
  const exportButton = h('button', { type: 'button', class: 'button secondary', text: t('admin.audit.export', { count: events.length }),
    disabled: events.length === 0 });
  exportButton.addEventListener('click', () => download(events));
  return frame('/admin/audit', 'admin.audit.title',
    h('p', { class: 'lead', text: t('admin.audit.lead') }),
    filters,
    badCase ? h('p', { class: 'error-box', role: 'alert', text: t('admin.audit.bad_case') }) : null,
    h('section', { class: 'card', 'aria-labelledby': 'audit-rows' },
      h('div', { class: 'card-head' },
        h('h2', { id: 'audit-rows', text: t('admin.audit.count', { count: events.length }) }),
        exportButton),
      events.length >= 1000 ? h('p', { class: 'sub', text: t('admin.audit.limited') }) : null,
      events.length ? auditTable(events) : h('p', { class: 'empty', text: t('admin.audit.none') })));
}

function auditTable(events) {
  return h('div', { class: 'table-scroll', tabindex: '0', role: 'region', 'aria-labelledby': 'audit-rows' },
    h('table', { class: 'data-table audit-table' },
      h('caption', { class: 'sr-only', text: t('admin.audit.title') }),
      h('thead', {}, h('tr', {}, ['audit.when', 'audit.who', 'audit.what', 'admin.audit.case_id', 'admin.audit.detail']
        .map((k) => h('th', { scope: 'col', text: t(k) })))),
      h('tbody', {}, events.map((e) => h('tr', {},
        h('td', { text: formatDateTime(e.at) }),
        h('td', { text: e.actor_label }),
        h('td', {}, h('code', { text: e.action })),
        h('td', {}, e.case_id ? h('a', { href: `/admin/audit?case_id=${e.case_id}`, class: 'case-id', text: e.case_id.slice(0, 8),
          title: e.case_id, 'aria-label': t('admin.audit.case_link', { id: e.case_id }) }) : ''),
        h('td', { text: e.detail || '' }))))));
}

/** The loaded rows as a CSV file, made in the browser (nothing else leaves the page). */
function download(events) {
  const blob = new Blob([toCsv(auditColumns(t), events)], { type: 'text/csv;charset=utf-8' });
  const url = URL.createObjectURL(blob);
  const a = h('a', { href: url, download: `audit-${new Date().toISOString().slice(0, 10)}.csv`, class: 'sr-only' });
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
  announce(t('admin.audit.exported', { count: events.length }));
}

