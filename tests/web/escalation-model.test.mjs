// The rules behind the escalation screens, as the steering group and the rio would notice them.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import {
  filtersFromQuery, filtersToQuery, apiPath, narrow, ageDays, sortEscalations, summarise, timeline, nextSteps,
  decisionBody, notificationTarget, onTimeTable, headline,
} from '../../web/js/escalation/model.js';

const NOW = Date.parse('2026-11-22T12:00:00Z');
const daysAgo = (n, hours = 0) => new Date(NOW - n * 86_400_000 - hours * 3_600_000).toISOString();
let seq = 0;
const esc = (extra = {}) => ({
  id: `e${++seq}`, case_id: 'c1', client_pseudonym: 'Daan V.', municipality_id: 'm1', municipality_name: 'Dordrecht',
  domain: 'housing', reason: 'overdue', status: 'open', created_at: daysAgo(3), action_due_date: '2026-11-01',
  decision: null, ...extra,
});

test('a plain queue link shows what still asks for work, oldest first', () => {
  const f = filtersFromQuery(new URLSearchParams(''));
  assert.deepEqual(f, { status: 'active', reason: '', domain: '', municipality: '', age: '', sort: 'oldest' });
  assert.equal(filtersToQuery(f), '');
});

test('a shared filter link survives the round trip, and nonsense in it falls back to the defaults', () => {
  const f = filtersFromQuery(new URLSearchParams('status=decided&reason=blocked&domain=debts&age=31&sort=due'));
  assert.equal(filtersToQuery(f), '?status=decided&reason=blocked&domain=debts&age=31&sort=due');
  const bad = filtersFromQuery(new URLSearchParams('status=lost&reason=x&domain=mars&age=5&sort=random&municipality=<b>'));
  assert.deepEqual(bad, filtersFromQuery(new URLSearchParams('')));
});

test('the API is asked for one status only when one is chosen; "to handle" is narrowed in the browser', () => {
  const active = filtersFromQuery(new URLSearchParams('domain=care&age=15'));
  assert.equal(apiPath(active), '/api/escalations?domain=care&min_age_days=15&limit=1000');
  const closed = filtersFromQuery(new URLSearchParams('status=closed&municipality=0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee'));
  assert.equal(apiPath(closed), '/api/escalations?status=closed&municipality_id=0190aaaa-bbbb-7ccc-8ddd-eeeeeeeeeeee&limit=1000');
  const list = [esc({ status: 'open' }), esc({ status: 'under_review' }), esc({ status: 'decided' }), esc({ status: 'closed' })];
  assert.deepEqual(narrow(list, active).map((e) => e.status), ['open', 'under_review']);
  assert.equal(narrow(list, filtersFromQuery(new URLSearchParams('status=all'))).length, 4);
});

test('age counts whole days since opening, as the server counts its age buckets', () => {
  assert.equal(ageDays(daysAgo(0, 23), NOW), 0);
  assert.equal(ageDays(daysAgo(1), NOW), 1);
  assert.equal(ageDays(daysAgo(14, 5), NOW), 14);
  assert.equal(ageDays(new Date(NOW + 60_000).toISOString(), NOW), 0, 'a clock a little ahead never shows a negative age');
});

test('forty escalations sort by any column, ties always oldest first, and the list itself is untouched', () => {
  const list = Array.from({ length: 40 }, (_, i) => esc({
    created_at: daysAgo(40 - i), status: ['open', 'under_review', 'decided', 'closed'][i % 4],
    domain: ['care', 'id', 'debts', 'housing', 'work_income'][i % 5], municipality_name: i % 2 ? 'Zwijndrecht' : 'Dordrecht',
    action_due_date: i % 7 ? `2026-10-${String(10 + (i % 15)).padStart(2, '0')}` : null,
  }));
  const before = list.map((e) => e.id);
  const oldest = sortEscalations(list, 'oldest');
  assert.deepEqual(oldest.map((e) => e.id), before);
  assert.deepEqual(sortEscalations(list, 'newest').map((e) => e.id), [...before].reverse());
  const byStatus = sortEscalations(list, 'status');
  assert.deepEqual([...new Set(byStatus.map((e) => e.status))], ['open', 'under_review', 'decided', 'closed']);
  const openOnes = byStatus.filter((e) => e.status === 'open');
  assert.deepEqual(openOnes, [...openOnes].sort((a, b) => a.created_at.localeCompare(b.created_at)));
  assert.deepEqual([...new Set(sortEscalations(list, 'domain').map((e) => e.domain))], ['id', 'housing', 'work_income', 'debts', 'care']);
  assert.deepEqual([...new Set(sortEscalations(list, 'municipality').map((e) => e.municipality_name))], ['Dordrecht', 'Zwijndrecht']);
  const due = sortEscalations(list, 'due');
  assert.equal(due.at(-1).action_due_date, null, 'escalations without an action come last');
  assert.ok(due[0].action_due_date <= due[1].action_due_date);
  assert.deepEqual(list.map((e) => e.id), before, 'sorting returns a copy');
});

test('the summary counts per status and names the longest wait among those still to handle', () => {
  const list = [esc({ created_at: daysAgo(45) }), esc({ status: 'under_review', created_at: daysAgo(9) }),
    esc({ status: 'decided', created_at: daysAgo(90) })];
  const sum = summarise(list, NOW);
  assert.equal(sum.total, 3);
  assert.equal(sum.active, 2);
  assert.deepEqual(sum.counts, { open: 1, under_review: 1, decided: 1, closed: 0 });
  assert.equal(sum.oldestActiveDays, 45, 'a decided escalation no longer waits');
  assert.equal(summarise([], NOW).oldestActiveDays, null);
});

test('the history names the engine by leaving the opener empty, and lists only the steps taken', () => {
  const opened = timeline(esc({ created_at: '2026-11-01T09:00:00Z' }));
  assert.deepEqual(opened, [{ step: 'opened', at: '2026-11-01T09:00:00Z', by: null }]);
  const decided = timeline(esc({ created_at: '2026-11-01T09:00:00Z', raised_by_name: 'Inge de Wit', reviewed_at: '2026-11-02T09:00:00Z',
    reviewed_by_name: 'Marloes Visser', decided_at: '2026-11-03T09:00:00Z', decided_by_name: 'Marloes Visser' }));
  assert.deepEqual(decided.map((s) => [s.step, s.by]), [['opened', 'Inge de Wit'], ['reviewed', 'Marloes Visser'], ['decided', 'Marloes Visser']]);
});

test('the workflow offers review and decision when open, decision under review, closing when decided, nothing after', () => {
  assert.deepEqual(nextSteps('open'), ['review', 'decide']);
  assert.deepEqual(nextSteps('under_review'), ['decide']);
  assert.deepEqual(nextSteps('decided'), ['close']);
  assert.deepEqual(nextSteps('closed'), []);
});

test('a decision sends only the fields of its own kind, because the API refuses the others', () => {
  const form = { note: '  Woonbron biedt een kamer aan.  ', assigned_organisation_id: 'org', assigned_due_date: '2026-12-01',
    obstacle_choice: 'existing', obstacle_id: 'ob', title: 'Geen briefadres', description: '', domain: 'id' };
  assert.deepEqual(decisionBody({ ...form, decision: 'assigned' }),
    { decision: 'assigned', note: 'Woonbron biedt een kamer aan.', assigned_organisation_id: 'org', assigned_due_date: '2026-12-01' });
  assert.deepEqual(decisionBody({ ...form, decision: 'returned' }), { decision: 'returned', note: 'Woonbron biedt een kamer aan.' });
  assert.deepEqual(decisionBody({ ...form, decision: 'obstacle' }), { decision: 'obstacle', note: 'Woonbron biedt een kamer aan.', obstacle_id: 'ob' });
  assert.deepEqual(decisionBody({ ...form, decision: 'obstacle', obstacle_choice: 'new' }),
    { decision: 'obstacle', note: 'Woonbron biedt een kamer aan.', new_obstacle: { title: 'Geen briefadres', description: '', domain: 'id' } });
  assert.deepEqual(decisionBody({ decision: 'assigned', note: 'x' }),
    { decision: 'assigned', note: 'x', assigned_organisation_id: null, assigned_due_date: null }, 'missing fields reach the API, which names them');
});

test('a notification leads to the escalation, or to the action\'s row on its case', () => {
  assert.equal(notificationTarget({ kind: 'decision', case_id: 'c', subject_kind: 'escalation', subject_id: 'e' }), '/escalations/e');
  assert.equal(notificationTarget({ kind: 'action_due', case_id: 'c', subject_kind: 'action', subject_id: 'a' }), '/cases/c#action-a');
  assert.equal(notificationTarget({ kind: 'other', case_id: null, subject_kind: 'x', subject_id: 'y' }), '/notifications');
});

test('the on-time table has a row per period, a cell per domain in the usual order, and the totals', () => {
  const row = (period, domain, judged, onTime) => ({ period, domain, judged, on_time: onTime, percent: judged ? (onTime * 100) / judged : null });
  const figures = {
    on_time: [row('2026-10', 'care', 2, 1), row('2026-10', 'id', 0, 0), row('2026-11', 'housing', 4, 4)],
    on_time_total: [row('total', 'care', 2, 1), row('total', 'housing', 4, 4)],
    open_escalations_by_age: [{ bucket: '0-7', escalations: 2 }, { bucket: '61+', escalations: 1 }],
    decision_time: [{ period: '2026-10', decided: 0, median_days: null }, { period: '2026-11', decided: 3, median_days: 4.5 }],
    warnings_by_domain: [{ domain: 'id', cases: 1 }, { domain: 'care', cases: 2 }],
    open_cases: 5,
  };
  const table = onTimeTable(figures);
  assert.deepEqual(table.rows.map((r) => r.period), ['2026-10', '2026-11']);
  assert.deepEqual(table.rows[0].cells.map((c) => c.domain), ['id', 'housing', 'work_income', 'debts', 'care']);
  assert.equal(table.rows[0].cells[4].percent, 50);
  assert.equal(table.rows[1].cells[4].percent, null, 'a period without care actions shows no percentage');
  assert.deepEqual(table.total.map((c) => c.judged), [0, 4, 0, 0, 2]);
  assert.deepEqual(headline(figures), { openCases: 5, openEscalations: 3, decisions: 3, onTimePercent: 83.3, warnings: 3 });
});
