// The rules of the escalation screens as pure functions of the API's JSON: which filters the
// queue's URL holds, what the API is asked, how a table of forty escalations is sorted, the
// steps of an escalation's life, the body of a decision, where a notification leads, and the
// on-time figures as a table. No DOM here, so the rules are unit-tested in Node
// (tests/web/escalation-model.test.mjs); the codes and their order come from vocabulary.js,
// and the screens turn codes into words.

import { domains, escalationStatuses, escalationReasons, ACTIVE_ESCALATION_STATUSES } from '../vocabulary.js';

const STATUSES = escalationStatuses.codes;
const DOMAIN_ORDER = domains.codes;
/** "Open for at least n days": the bounds of the server's age buckets. */
export const AGE_STEPS = [8, 15, 31, 61];
export const SORTS = ['oldest', 'newest', 'due', 'municipality', 'domain', 'status'];
/** The queue's status filter: `active` (what still asks for work) is not an API status. */
export const STATUS_FILTERS = ['active', ...STATUSES, 'all'];
const DAY = 86_400_000;

const DEFAULTS = { status: 'active', reason: '', domain: '', municipality: '', age: '', sort: 'oldest' };

const oneOf = (value, allowed, fallback) => (allowed.includes(value) ? value : fallback);

/**
 * The queue's filters from the page's URL. Unknown values fall back to the defaults, so a
 * hand-edited or outdated link still shows a queue instead of an error.
 */
export function filtersFromQuery(query) {
  const get = (name) => (query.get(name) || '').trim();
  return {
    status: oneOf(get('status'), STATUS_FILTERS, DEFAULTS.status),
    reason: oneOf(get('reason'), escalationReasons.codes, ''),
    domain: oneOf(get('domain'), DOMAIN_ORDER, ''),
    municipality: /^[0-9a-f-]{36}$/i.test(get('municipality')) ? get('municipality') : '',
    age: AGE_STEPS.map(String).includes(get('age')) ? get('age') : '',
    sort: oneOf(get('sort'), SORTS, DEFAULTS.sort),
  };
}

/** The page's query string for `filters`: defaults are left out, so the plain URL is the default view. */
export function filtersToQuery(filters) {
  const params = new URLSearchParams();
  for (const [name, fallback] of Object.entries(DEFAULTS)) {
    if (filters[name] && filters[name] !== fallback) params.set(name, filters[name]);
  }
  const text = params.toString();
  return text ? `?${text}` : '';
}

/**
 * The API request for `filters`. The API filters on one status; "active" (open or under
 * review) and "all" ask for every status and are narrowed by `narrow`.
 */
export function apiPath(filters, limit = 1000) {
  const params = new URLSearchParams();
  if (STATUSES.includes(filters.status)) params.set('status', filters.status);
  if (filters.reason) params.set('reason', filters.reason);
  if (filters.domain) params.set('domain', filters.domain);
  if (filters.municipality) params.set('municipality_id', filters.municipality);
  if (filters.age) params.set('min_age_days', filters.age);
  params.set('limit', String(limit));
  return `/api/escalations?${params}`;
}

/** What the API cannot filter: the "active" status group. */
export function narrow(list, filters) {
  return filters.status === 'active' ? list.filter(isActive) : list;
}

export function isActive(escalation) {
  return ACTIVE_ESCALATION_STATUSES.includes(escalation.status);
}

/** Whole days since the escalation was opened, as the server counts the age buckets. */
export function ageDays(createdAt, now = Date.now()) {
  return Math.max(0, Math.floor((now - Date.parse(createdAt)) / DAY));
}

const byOldest = (a, b) => a.created_at.localeCompare(b.created_at);
const nullsLast = (a, b) => (a === b ? 0 : a == null ? 1 : b == null ? -1 : null);

const SORTERS = {
  oldest: byOldest,
  newest: (a, b) => byOldest(b, a),
  due: (a, b) => nullsLast(a.action_due_date, b.action_due_date) ?? (a.action_due_date.localeCompare(b.action_due_date) || byOldest(a, b)),
  municipality: (a, b) => a.municipality_name.localeCompare(b.municipality_name, 'nl') || byOldest(a, b),
  domain: (a, b) => DOMAIN_ORDER.indexOf(a.domain) - DOMAIN_ORDER.indexOf(b.domain) || byOldest(a, b),
  status: (a, b) => STATUSES.indexOf(a.status) - STATUSES.indexOf(b.status) || byOldest(a, b),
};

/** A sorted copy; every order breaks ties by age, oldest first, so the table never shuffles. */
export function sortEscalations(list, sort) {
  return [...list].sort(SORTERS[sort] || SORTERS.oldest);
}

/** Counts per status and the oldest age among those that still ask for work. */
export function summarise(list, now = Date.now()) {
  const counts = Object.fromEntries(STATUSES.map((s) => [s, 0]));
  for (const e of list) counts[e.status] = (counts[e.status] || 0) + 1;
  const ages = list.filter(isActive).map((e) => ageDays(e.created_at, now));
  return { total: list.length, counts, active: counts.open + counts.under_review, oldestActiveDays: ages.length ? Math.max(...ages) : null };
}

/**
 * Who did what when, in order: opened (by a person, or by the engine when nobody is named),
 * taken under review, decided, closed. Steps not taken yet are left out.
 */
export function timeline(e) {
  return [
    { step: 'opened', at: e.created_at, by: e.raised_by_name || null },
    { step: 'reviewed', at: e.reviewed_at, by: e.reviewed_by_name },
    { step: 'decided', at: e.decided_at, by: e.decided_by_name },
    { step: 'closed', at: e.closed_at, by: e.closed_by_name },
  ].filter((s) => s.at);
}

/** The next steps the steering group can take on an escalation in `status`. */
export function nextSteps(status) {
  return { open: ['review', 'decide'], under_review: ['decide'], decided: ['close'] }[status] || [];
}

/**
 * The body of `POST /api/escalations/{id}/decision` from the decision form's values: only the
 * fields of the chosen kind, because the API refuses fields of another kind.
 */
export function decisionBody(values) {
  const text = (name) => (values[name] || '').trim();
  const body = { decision: values.decision, note: text('note') };
  if (values.decision === 'assigned') {
    body.assigned_organisation_id = text('assigned_organisation_id') || null;
    body.assigned_due_date = text('assigned_due_date') || null;
  }
  if (values.decision === 'obstacle') {
    if (values.obstacle_choice === 'new') {
      body.new_obstacle = { title: text('title'), description: text('description') };
      if (text('domain')) body.new_obstacle.domain = text('domain');
    } else {
      body.obstacle_id = text('obstacle_id') || null;
    }
  }
  return body;
}

/**
 * Where a notification leads: an escalation or decision to the escalation's page, an action
 * to its row on the case page. A notification holds only ids, never case content.
 */
export function notificationTarget(n) {
  if (n.subject_kind === 'escalation') return `/escalations/${n.subject_id}`;
  if (n.case_id && n.subject_kind === 'action') return `/cases/${n.case_id}#action-${n.subject_id}`;
  if (n.case_id) return `/cases/${n.case_id}`;
  return '/notifications';
}

/**
 * The per-period on-time figures as a table: one row per period (oldest first), one cell per
 * life domain in the usual order, plus the totals row the API computes over the whole range.
 */
export function onTimeTable(figures) {
  const periods = [...new Set(figures.on_time.map((r) => r.period))];
  const cell = (rows, period, domain) => rows.find((r) => r.period === period && r.domain === domain)
    || { period, domain, judged: 0, on_time: 0, percent: null };
  return {
    domains: DOMAIN_ORDER,
    rows: periods.map((period) => ({ period, cells: DOMAIN_ORDER.map((d) => cell(figures.on_time, period, d)) })),
    total: DOMAIN_ORDER.map((d) => cell(figures.on_time_total, 'total', d)),
  };
}

/** The headline numbers of the dashboard. */
export function headline(figures) {
  const sum = (rows, key) => rows.reduce((n, r) => n + (r[key] || 0), 0);
  const judged = sum(figures.on_time_total, 'judged');
  const onTime = sum(figures.on_time_total, 'on_time');
  return {
    openCases: figures.open_cases,
    openEscalations: sum(figures.open_escalations_by_age, 'escalations'),
    decisions: sum(figures.decision_time, 'decided'),
    onTimePercent: judged ? Math.round((onTime * 1000) / judged) / 10 : null,
    // A case can warn in several domains: this counts warnings, not cases.
    warnings: sum(figures.warnings_by_domain, 'cases'),
  };
}
