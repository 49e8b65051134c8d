// The client's plan speaks only his own words: the text the chair wrote for him, else a plain
// default per domain (never an empty line, never the professionals' wording), and an overdue
// item is explained kindly. The chair's suggestions exist for every domain in both languages.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import './fake-dom.mjs';
import { text, all } from './fake-dom.mjs';
import { useTable } from '../../web/js/i18n.js';
import { domains } from '../../web/js/vocabulary.js';
import { purposeText, itemText, itemMeta, overdueNote, suggestions, defaultText, actionClientText, SUGGESTIONS } from '../../web/js/client-words.js';
import { planView } from '../../web/js/room/client-view.js';

const table = JSON.parse(readFileSync(new URL('../../web/i18n/strings.json', import.meta.url), 'utf8'));
const iso = (d) => d;

const plan = {
  meeting_id: 'm', scheduled_at: '2026-12-04T09:00:00Z', client_purpose: null, expected_release: '2027-01-13',
  domains: domains.codes.map((domain) => ({
    domain, my_wish: '',
    i_will: domain === 'care' ? [{ client_text: null, who: null, due_date: '2027-01-13', done: false, overdue: false }] : [],
    they_will: domain === 'housing' ? [
      { client_text: 'Woonbron zoekt een kamer voor je.', who: 'Woonbron', due_date: '2026-11-20', done: false, overdue: true },
      { client_text: null, who: 'Gemeente Dordrecht', due_date: '2026-12-20', done: false, overdue: false },
    ] : [],
  })),
};

test('the purpose is the one written for him, or the plain default', () => {
  useTable(table, 'nl');
  assert.equal(purposeText('We praten over je kamer.'), 'We praten over je kamer.');
  assert.equal(purposeText(null), table['client.plan.default_purpose'].nl);
  assert.equal(purposeText('   '), table['client.plan.default_purpose'].nl);
  useTable(table, 'en');
  assert.equal(purposeText(''), table['client.plan.default_purpose'].en);
});

test('an item without a text of its own reads as the plain default of its domain and side', () => {
  for (const lang of ['nl', 'en']) {
    useTable(table, lang);
    for (const domain of domains.codes) {
      const mine = defaultText(domain, true);
      const theirs = defaultText(domain, false);
      assert.equal(mine, table[`client.plan.default.${domain}.mine`][lang]);
      assert.equal(theirs, table[`client.plan.default.${domain}.theirs`][lang]);
      assert.notEqual(mine, theirs);
      assert.equal(itemText({ client_text: null }, domain, true), mine);
      assert.equal(itemText({ client_text: 'Je belt de huisarts.' }, domain, true), 'Je belt de huisarts.');
    }
  }
  useTable(table, 'nl');
  assert.equal(actionClientText({ domain: 'debts', owner_is_client: false, client_text: '' }), table['client.plan.default.debts.theirs'].nl);
});

test('only an overdue item that is not done gets the kind explanation', () => {
  useTable(table, 'nl');
  assert.equal(overdueNote({ overdue: true, done: false }), 'Dit had al klaar moeten zijn. Je begeleider weet ervan en helpt je.');
  assert.equal(overdueNote({ overdue: false, done: false }), null);
  assert.equal(overdueNote({ overdue: true, done: true }), null);
  assert.equal(itemMeta({ who: 'Woonbron', due_date: '2026-11-20', done: false }, true, iso), 'Wie: Woonbron · vóór 2026-11-20');
  assert.equal(itemMeta({ who: null, due_date: '2026-11-20', done: true }, false, iso), 'vóór 2026-11-20 · klaar');
});

test('every domain and the purpose have their suggestions, short and in the je-form, in both languages', () => {
  for (const kind of [...domains.codes, 'purpose']) {
    for (let n = 1; n <= SUGGESTIONS; n += 1) assert.ok(`client_words.suggest.${kind}.${n}` in table, `${kind} ${n}`);
    useTable(table, 'nl');
    const nl = suggestions(kind);
    assert.equal(nl.length, SUGGESTIONS);
    for (const s of nl) {
      assert.ok(s.length <= 80, `short: ${s}`);
      assert.match(s, /\b(je|Je|jou|jouw|We|we)\b/, `speaks to him: ${s}`);
      assert.ok(!s.includes('cliënt'), `no "cliënt" to the client: ${s}`);
    }
    useTable(table, 'en');
    assert.notDeepEqual(suggestions(kind), nl, `${kind} has English suggestions`);
  }
});

test('the plan view shows his texts and defaults, explains the late item, and nothing else', () => {
  useTable(table, 'nl');
  const view = planView(plan);
  const all_ = text(view);
  assert.ok(all_.includes(table['client.plan.default_purpose'].nl), 'the default purpose');
  assert.ok(all_.includes('Woonbron zoekt een kamer voor je.'));
  assert.ok(all_.includes(table['client.plan.default.housing.theirs'].nl), 'the default for the item without a text');
  assert.ok(all_.includes(table['client.plan.default.care.mine'].nl), 'his own item in his words');
  const late = all(view, 'li').filter((li) => (li.className || '').includes('late'));
  assert.equal(late.length, 1, 'one item is overdue');
  assert.ok(text(late[0]).includes('Je begeleider weet ervan en helpt je.'));
  assert.ok(!all_.includes('te laat'), 'no blaming "te laat"');
});
