// A domain of the minutes as every reader sees it: headings, texts, actions and the steering
// group's decisions in words, in the reader's language.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { text, all } from './fake-dom.mjs';
import { useTable } from '../../web/js/i18n.js';
import { minutesSection } from '../../web/js/ui/domains.js';

const table = JSON.parse(readFileSync(new URL('../../web/i18n/strings.json', import.meta.url), 'utf8'));

const section = {
  domain: 'housing', situation: 'Slaapt bij zijn zus.', client_wish: 'Een eigen kamer.', notes: '',
  decisions: [{ decision: 'assigned', assigned_organisation_name: 'Woonbron', note: 'Urgentie aanvragen.' }],
  carried_over: [{ id: 'a1', description: 'Inschrijven bij Woonbron', owner_organisation_name: 'Woonbron', due_date: '2030-01-01', status: 'blocked' }],
  agreed: [],
};

test('the minutes name the domain and tell the steering group\'s decision in words', () => {
  useTable(table, 'nl');
  const el = minutesSection(section);
  assert.equal(text(all(el, 'h2')[0]), 'Onderdak (wonen)');
  assert.match(text(el), /Besluiten stuurgroep/);
  assert.match(text(all(el, 'li')[0]), /^Belegd bij een organisatie — Woonbron: Urgentie aanvragen\.$/);
  assert.equal(text(all(el, 'tbody')[0]).includes('Geblokkeerd'), true, 'the carried-over action shows its status');
});

test('in English the same section reads in English', () => {
  useTable(table, 'en');
  const el = minutesSection(section);
  assert.equal(text(all(el, 'h2')[0]), 'Housing');
  assert.match(text(all(el, 'li')[0]), /^Assigned to an organisation — Woonbron/);
  assert.match(text(all(el, 'tbody')[0]), /Blocked/);
});
