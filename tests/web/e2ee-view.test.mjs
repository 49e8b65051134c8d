// What the room says about end-to-end encryption, built for real with the fake DOM: the mode in
// words (naming who cannot encrypt), the safety code on request, the client's plain words.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { text, all } from './fake-dom.mjs';
import { useTable } from '../../web/js/i18n.js';
import { encryptionStatus, unsupportedNotice } from '../../web/js/room/e2ee/view.js';

const root = new URL('../../web/', import.meta.url).pathname;
const table = JSON.parse(readFileSync(join(root, 'i18n/strings.json'), 'utf8'));
useTable(table, 'nl');

const session = (phase, e2ee) => ({ state: { phase }, e2ee: { supported: true, code: null, mode: { encrypted: true, without: [] }, ...e2ee } });
const find = (node, key) => [node, ...all(node, 'div'), ...all(node, 'p'), ...all(node, 'button'), ...all(node, 'span')].find((n) => n.dataset && n.dataset.key === key);

test('an encrypted room says so in plain Dutch, and to the client in B1 words', () => {
  const pro = encryptionStatus(session('in'));
  pro.update();
  assert.match(text(pro.el), /end-to-end versleuteld/);
  const client = encryptionStatus(session('in'), { plain: true });
  client.update();
  assert.equal(text(client.el), 'Dit gesprek is beveiligd. Alleen de mensen in dit gesprek kunnen je zien en horen.');
});

test('a room that is not encrypted names whose browser cannot encrypt', () => {
  const view = encryptionStatus(session('in', { mode: { encrypted: false, without: [{ id: 'g', name: 'Sanne Postma' }] } }));
  view.update();
  assert.match(text(view.el), /niet end-to-end versleuteld/);
  assert.match(text(view.el), /Sanne Postma/);
  assert.equal(find(view.el, 'e2ee-off').dataset.mode, 'clear');
});

test('the safety code is shown on request, with a button whose state a screen reader hears', () => {
  const s = session('in', { code: '1234 5678 9012 3456 7890' });
  const view = encryptionStatus(s);
  view.update();
  const button = find(view.el, 'safety-code-toggle');
  assert.equal(button.getAttribute('aria-expanded'), 'false');
  const box = all(view.el, 'div').find((d) => d.attributes['aria-live'] === 'polite');
  assert.equal(box.getAttribute('hidden'), '');
  button.listeners.click[0]();
  const opened = find(view.el, 'safety-code-toggle');
  assert.equal(opened.getAttribute('aria-expanded'), 'true');
  assert.equal(text(find(view.el, 'safety-code')), '1234 5678 9012 3456 7890');
  assert.doesNotMatch(text(view.el), /veranderd/);
  assert.equal(button, opened, 'the same button: focus stays on it');
  s.e2ee.code = '0000 1111 2222 3333 4444';
  view.update();
  assert.match(text(view.el), /De veiligheidscode is veranderd/);
});

test('someone waiting whose browser cannot encrypt is told the chair decides; before joining too', () => {
  const view = encryptionStatus(session('lobby', { supported: false }));
  view.update();
  assert.match(text(view.el), /kan het gesprek niet end-to-end versleutelen/);
  assert.match(text(unsupportedNotice(false)), /De voorzitter beslist/);
  assert.equal(unsupportedNotice(true), null);
});

test('every e2ee text the client uses is in the table in Dutch and English', () => {
  const files = (dir) => readdirSync(dir).flatMap((n) => { const p = join(dir, n); return statSync(p).isDirectory() ? files(p) : p.endsWith('.js') ? [p] : []; });
  const used = new Set();
  for (const path of files(join(root, 'js'))) {
    const src = readFileSync(path, 'utf8');
    for (const [, key] of src.matchAll(/t\('(e2ee\.[a-z_.]+)'/g)) used.add(key);
    for (const [, rest] of src.matchAll(/t\(`\$\{p\}([a-z_]+)`/g)) if (path.includes('e2ee')) { used.add(`e2ee.${rest}`); used.add(`e2ee.client.${rest}`); }
  }
  assert.ok(used.size > 10);
  for (const key of used) assert.ok(table[key] && table[key].nl && table[key].en, `${key} is missing`);
});
