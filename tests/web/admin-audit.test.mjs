// The administrator's audit filters: what the page's URL asks for becomes the API's query, with
// Dutch calendar days as instants (a day starts at midnight in Amsterdam, summer or winter).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import './fake-dom.mjs';
import { auditQuery } from '../../web/js/admin/audit.js';

const query = (search) => Object.fromEntries(new URLSearchParams(auditQuery(new URLSearchParams(search))));

test('empty filters ask only for the newest thousand lines', () => {
  assert.deepEqual(query(''), { limit: '1000' });
  assert.deepEqual(query('actor=%20%20&action='), { limit: '1000' });
});

test('text filters are trimmed and passed on', () => {
  assert.deepEqual(query('actor=%20Inge%20&action=case.&case_id=0190f2a0-0000-7000-8000-000000000000'),
    { actor: 'Inge', action: 'case.', case_id: '0190f2a0-0000-7000-8000-000000000000', limit: '1000' });
});

test('a day range covers whole Dutch days, in winter and in summer time', () => {
  assert.deepEqual(query('from=2026-12-01&to=2026-12-02'),
    { from: '2026-11-30T23:00:00.000Z', before: '2026-12-02T23:00:00.000Z', limit: '1000' });
  assert.deepEqual(query('from=2026-07-01&to=2026-07-01'),
    { from: '2026-06-30T22:00:00.000Z', before: '2026-07-01T22:00:00.000Z', limit: '1000' });
  // The last day of March: the clocks go forward in the night before.
  assert.deepEqual(query('to=2026-03-28'), { before: '2026-03-28T23:00:00.000Z', limit: '1000' });
  assert.deepEqual(query('to=2026-03-29'), { before: '2026-03-29T22:00:00.000Z', limit: '1000' });
});
