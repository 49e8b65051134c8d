// The one vocabulary of the client: every code has words in Dutch and English, the domains keep
// the agenda's order, and the action-status select offers every status under the action's name.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as vocabulary from '../../web/js/vocabulary.js';
import { useTable } from '../../web/js/i18n.js';
import './fake-dom.mjs';

const table = JSON.parse(readFileSync(new URL('../../web/i18n/strings.json', import.meta.url), 'utf8'));
const vocabularies = Object.entries(vocabulary).filter(([, v]) => v && Array.isArray(v.codes));

test('every code of every vocabulary has its own label in Dutch and in English', () => {
  assert.ok(vocabularies.length >= 10, `only ${vocabularies.length} vocabularies found`);
  for (const [name, v] of vocabularies) {
    assert.ok(v.codes.length > 0, `${name} has no codes`);
    for (const code of v.codes) {
      const key = v.key(code);
      assert.ok(key in table, `${name}.${code}: ${key} is missing from strings.json`);
      useTable(table, 'nl');
      assert.equal(v.label(code), table[key].nl, `${name}.${code} in Dutch`);
      useTable(table, 'en');
      assert.equal(v.label(code), table[key].en, `${name}.${code} in English`);
    }
  }
});

test('the five life domains come in the order of the agenda', () => {
  assert.deepEqual(vocabulary.domains.codes, ['id', 'housing', 'work_income', 'debts', 'care']);
  assert.deepEqual(vocabulary.clientDomains.codes, vocabulary.domains.codes);
  useTable(table, 'nl');
  assert.deepEqual(vocabulary.domains.options().map((o) => o.label),
    ['Identiteitsbewijs (regelzaken)', 'Onderdak (wonen)', 'Werk en inkomen', 'Schulden (financiën)', 'Zorg']);
});

test('the action statuses are the five the API knows, and only open, in progress and blocked still ask for work', () => {
  assert.deepEqual(vocabulary.actionStatuses.codes, ['open', 'in_progress', 'done', 'blocked', 'cancelled']);
  const pending = vocabulary.actionStatuses.codes.filter(vocabulary.isPendingAction);
  const finished = vocabulary.actionStatuses.codes.filter(vocabulary.isFinishedAction);
  assert.deepEqual(pending, ['open', 'in_progress', 'blocked']);
  assert.deepEqual(finished, ['done', 'cancelled']);
  assert.equal(vocabulary.isFinishedAction(null), false, 'an action without a status is not finished');
});

test('a blocked action and an open escalation stand out; unknown codes get a neutral badge', () => {
  assert.equal(vocabulary.actionStatuses.tone('blocked'), 'danger');
  assert.equal(vocabulary.escalationStatuses.tone('open'), 'danger');
  assert.equal(vocabulary.actionStatuses.tone('open'), 'neutral');
  assert.equal(vocabulary.escalationStatuses.tone('lost'), 'neutral');
});

test('a finalised conference shows as finalised, another by its own status', () => {
  assert.equal(vocabulary.meetingStatus({ status: 'closed', finalised_at: '2026-11-20T10:00:00Z' }), 'finalised');
  assert.equal(vocabulary.meetingStatus({ status: 'live', finalised_at: null }), 'live');
});

test('an invite lets its holder in while it is unused or used, not once expired, withdrawn or removed', () => {
  assert.deepEqual(vocabulary.inviteStates.codes.filter(vocabulary.isUsableInvite), ['valid', 'used']);
});

test('in the chair\'s list a link works until it expired, was withdrawn or its holder removed', () => {
  assert.deepEqual(vocabulary.chairInviteStates.codes.filter(vocabulary.isLiveInvite), ['not_opened', 'opened', 'lobby', 'room']);
});

test('the steering group and the administrator are on no case; coordinators and steering keep the register', () => {
  const accounts = ['casemanager', 'coordinator', 'partner', 'steering', 'admin'];
  assert.deepEqual(accounts.filter(vocabulary.isWithoutCases), ['steering', 'admin']);
  assert.deepEqual(accounts.filter(vocabulary.keepsRegister), ['coordinator', 'steering']);
});

test('the action-status select is named after its action and offers every status, the current one chosen', async () => {
  const { actionStatusSelect } = await import('../../web/js/ui/action-status.js');
  const action = { id: 'a1', description: 'Huurcontract tekenen', status: 'blocked' };
  useTable(table, 'nl');
  const select = actionStatusSelect(action);
  assert.equal(select.tagName, 'SELECT');
  assert.equal(select.getAttribute('aria-label'), 'Status van: Huurcontract tekenen');
  assert.deepEqual(select.children.map((o) => o.value), ['open', 'in_progress', 'done', 'blocked', 'cancelled']);
  assert.deepEqual(select.children.map((o) => o.textContent), ['Open', 'Bezig', 'Gedaan', 'Geblokkeerd', 'Vervallen']);
  assert.deepEqual(select.children.filter((o) => o.selected).map((o) => o.value), ['blocked']);
  assert.equal(select.listeners.change.length, 1, 'a change is saved');

  useTable(table, 'en');
  const english = actionStatusSelect({ ...action, status: 'open' });
  assert.equal(english.getAttribute('aria-label'), 'Status of: Huurcontract tekenen');
  assert.deepEqual(english.children.map((o) => o.textContent), ['Open', 'In progress', 'Done', 'Blocked', 'Cancelled']);
  assert.deepEqual(english.children.filter((o) => o.selected).map((o) => o.value), ['open']);
});
