// Every visible string goes through the one translation table, in Dutch and English.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { decisions } from '../../web/js/vocabulary.js';
import { STATUS_FILTERS, SORTS } from '../../web/js/escalation/model.js';

const root = new URL('../../web/', import.meta.url).pathname;
const table = JSON.parse(readFileSync(join(root, 'i18n/strings.json'), 'utf8'));

function files(dir, ext) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? files(path, ext) : path.endsWith(ext) ? [path] : [];
  });
}
const sources = files(join(root, 'js'), '.js').map((path) => [path, readFileSync(path, 'utf8')]);

test('every key of the table has a Dutch and an English text, one key per line', () => {
  for (const [key, texts] of Object.entries(table)) {
    assert.ok(texts.nl && texts.nl.trim(), `${key} has no Dutch text`);
    assert.ok(texts.en && texts.en.trim(), `${key} has no English text`);
  }
  const lines = readFileSync(join(root, 'i18n/strings.json'), 'utf8').trim().split('\n');
  assert.equal(lines.length, Object.keys(table).length + 2);
});

test('every literal key the client uses exists in the table', () => {
  for (const [path, text] of sources) {
    for (const [, key] of text.matchAll(/\bt\('([a-z_]+\.[a-z_.0-9]+)'/g)) {
      assert.ok(key in table, `${path}: ${key} is missing from strings.json`);
    }
  }
});

test('every key written out elsewhere (in lists of headings, menus) exists in the table too', () => {
  const prefixes = new Set(Object.keys(table).map((k) => k.split('.')[0]));
  for (const [path, text] of sources) {
    for (const [, key] of text.matchAll(/'([a-z_]+(?:\.[a-z_0-9-]+)+)'/g)) {
      if (prefixes.has(key.split('.')[0])) assert.ok(key in table, `${path}: ${key} is missing from strings.json`);
    }
  }
});

test('the families of keys built from codes are complete', () => {
  // The vocabularies' labels are checked in vocabulary.test.mjs; these families are the other keys built from codes.
  const families = {
    'decide.hint': decisions.codes,
    'join.state': ['used', 'expired', 'revoked', 'removed', 'closed'],
    'queue.status': STATUS_FILTERS,
    'queue.sort': SORTS,
    'esc.col': ['client', 'opened', 'domain', 'reason', 'action', 'status', 'decision'],
    'esc.step': ['opened', 'reviewed', 'decided', 'closed'],
    'figures.period': ['month', 'quarter'],
    ...Object.fromEntries(['on-time', 'escalation-age', 'decision-time', 'warnings'].map((c) => [`figures.chart.${c}`, ['title', 'desc']])),
    'room.ended': ['ended', 'finalised'],
    'room.mute_requested': ['audio', 'video'],
  };
  for (const prefix of ['room', 'client.room']) {
    families[prefix] = ['mic_turn_on', 'mic_turn_off', 'camera_turn_on', 'camera_turn_off', 'raise_hand', 'leave', 'leave_title',
      'video_paused', 'video_paused_many', 'video_resumed', 'video_resumed_many'];
  }
  for (const prefix of ['prejoin', 'client.prejoin']) {
    families[prefix] = ['title', 'you_are', 'when', 'purpose', 'mic', 'camera', 'mic_level', 'no_camera_preview', 'join',
      'problem.help', 'problem.listen_only', 'problem.can_join',
      ...['denied', 'missing', 'failed'].flatMap((p) => ['both', 'audio', 'video'].map((k) => `problem.${p}.${k}`))];
  }
  for (const prefix of ['connection', 'client.connection']) families[prefix] = ['lost', 'restored'];
  for (const [prefix, codes] of Object.entries(families)) {
    for (const code of codes) assert.ok(`${prefix}.${code}` in table, `${prefix}.${code} is missing`);
  }
});

test('nothing the CSP forbids: no inline handlers, styles or scripts, no innerHTML', () => {
  const html = readFileSync(join(root, 'index.html'), 'utf8');
  assert.doesNotMatch(html, /\son[a-z]+=|\sstyle=|<style|<script(?![^>]*\bsrc=)/i);
  for (const [path, text] of sources) {
    assert.doesNotMatch(text, /\.innerHTML\s*=|insertAdjacentHTML|\beval\(|new Function\(/, path);
    assert.doesNotMatch(text, /['"]style['"]\s*:/, `${path} sets a style attribute`);
    // Markup from text only as XML for server-drawn charts (copied through an allow-list), never as HTML.
    for (const [, type] of text.matchAll(/parseFromString\([^,]+,\s*'([^']+)'/g)) assert.equal(type, 'image/svg+xml', path);
  }
});

test('source files stay small enough to read', () => {
  for (const [path, text] of sources) assert.ok(text.split('\n').length < 400, `${path} is over 400 lines`);
});
