// A video the server paused because our link is too weak (`video_state`): the tile says so in
// place of a frozen picture, screen readers hear it once things settle, and a rejoin forgets it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { text } from './fake-dom.mjs';
import { fakeClock } from './fake-clock.mjs';
import { useTable } from '../../web/js/i18n.js';
import { initialState, reduce } from '../../web/js/room/state.js';
import { TileGrid } from '../../web/js/room/tiles.js';
import { pauseMessage, PauseAnnouncer, SETTLE_MS, MIN_GAP_MS } from '../../web/js/room/paused.js';

useTable(JSON.parse(readFileSync(new URL('../../web/i18n/strings.json', import.meta.url), 'utf8')), 'nl');
globalThis.MediaStream = class { constructor(tracks) { this.tracks = tracks; } };

const person = (id, extra = {}) => ({ id, name: id === 'b' ? 'Bram de Vries' : id, role: 'partner', presence: 'admitted', audio_muted: false, video_muted: false, ...extra });
const welcome = { type: 'welcome', v: 1, you: person('a'), meeting: { id: 'm' }, ice_servers: [] };
const paused = (id, on = true) => ({ type: 'video_state', participant_id: id, paused: on });
const run = (...msgs) => msgs.reduce(reduce, initialState());

test('a paused video stays paused until the server says it flows again', () => {
  let s = run(welcome, { type: 'admitted', participants: [person('a'), person('b'), person('c')] }, paused('b'), paused('c'), paused('b'));
  assert.deepEqual(s.videoPaused, ['c', 'b']);
  s = reduce(s, paused('c', false));
  assert.deepEqual(s.videoPaused, ['b']);
});

test('a rejoin starts with every video flowing, and someone who left is no longer paused', () => {
  const s = run(welcome, { type: 'admitted', participants: [person('a'), person('b'), person('c')] }, paused('b'), paused('c'));
  assert.deepEqual(reduce(s, { type: 'participant_left', participant_id: 'b', reason: 'left' }).videoPaused, ['c']);
  assert.deepEqual(reduce(s, welcome).videoPaused, []);
});

function grid(plain = false) {
  const g = new TileGrid('people', { plain, onViewChange: () => {} });
  const remote = new Map([['b', { video: { kind: 'video' } }]]);
  const sync = (b, pausedIds) => g.sync([person('a'), b], 'a', null, remote, null, new Map(), 'good', pausedIds);
  return { g, sync, tile: () => g.tiles.get('b') };
}

test('a paused tile says why instead of showing a frozen picture, and still asks for its size', () => {
  const { g, sync, tile } = grid();
  sync(person('b'), ['b']);
  const t = tile();
  assert.ok(t.el.classList.contains('paused'), 'the picture is hidden');
  assert.equal(t.alert.hidden, false);
  assert.equal(t.alert.dataset.kind, 'paused');
  assert.equal(text(t.alert), 'Video gepauzeerd: uw verbinding is nu te zwak. U hoort Bram de Vries nog wel.');
  assert.match(t.el.getAttribute('aria-label'), /Video gepauzeerd/);
  t.media.getBoundingClientRect = () => ({ height: 300 });
  assert.ok(g.views()[0].height > 0, 'the server must know the tile still wants the video, or it never comes back');

  sync(person('b'), []);
  assert.ok(!t.el.classList.contains('paused'));
  assert.equal(t.alert.hidden, true);
  assert.doesNotMatch(t.el.getAttribute('aria-label'), /gepauzeerd/);
  g.dispose();
});

test('no connection at all, or a camera that is off, says that rather than "paused"', () => {
  const { g, sync, tile } = grid();
  sync(person('b', { reconnecting: true }), ['b']);
  assert.equal(text(tile().alert), 'Verbinding herstellen…');
  assert.ok(!tile().el.classList.contains('paused'));
  sync(person('b', { video_muted: true }), ['b']);
  assert.equal(tile().alert.hidden, true);
  assert.ok(tile().el.classList.contains('no-video'), 'initials, as for any camera that is off');
  g.dispose();
});

test('the client reads it in his own plain words', () => {
  const { g, sync, tile } = grid(true);
  sync(person('b'), ['b']);
  assert.equal(text(tile().alert), 'Je ziet Bram de Vries even niet. Je verbinding is nu te zwak. Je hoort Bram de Vries nog wel.');
  g.dispose();
});

const names = { b: 'Bram', c: 'Cor', d: 'Dirk' };
const nameOf = (id) => names[id] ?? null;

test('what is said names one person, counts several, and never someone who left', () => {
  assert.equal(pauseMessage([], ['b'], nameOf), 'Video gepauzeerd: uw verbinding is nu te zwak. U hoort Bram nog wel.');
  assert.match(pauseMessage([], ['b', 'c', 'd'], nameOf), /^Video van 3 deelnemers gepauzeerd/);
  assert.equal(pauseMessage(['b'], [], nameOf), 'U ziet Bram weer.');
  assert.equal(pauseMessage(['x'], [], nameOf), null, 'x left: his video did not come back');
  assert.equal(pauseMessage([], ['x'], nameOf), null, 'nobody we know');
  assert.equal(pauseMessage(['b'], ['b'], nameOf), null);
  assert.equal(pauseMessage(['b'], [], nameOf, true), 'Je ziet Bram weer.');
});

function announcer() {
  const clock = fakeClock();
  const said = [];
  const a = new PauseAnnouncer((words) => said.push({ at: clock.now(), words }), { clock });
  return { a, clock, said };
}

test('a pause is announced once it has stood a moment, the storm of a whole room as one sentence', () => {
  const { a, clock, said } = announcer();
  a.update(['b'], nameOf);
  a.update(['b', 'c'], nameOf);
  a.update(['b', 'c', 'd'], nameOf);
  clock.advance(SETTLE_MS - 1);
  assert.deepEqual(said, []);
  clock.advance(1);
  assert.equal(said.length, 1);
  assert.match(said[0].words, /^Video van 3 deelnemers gepauzeerd/);
});

test('a video that pauses and comes back before it settled is not announced at all', () => {
  const { a, clock, said } = announcer();
  a.update(['b'], nameOf);
  clock.advance(500);
  a.update([], nameOf);
  clock.advance(SETTLE_MS * 10);
  assert.deepEqual(said, []);
});

test('a link going up and down is not a stream of announcements, and the last word is what is on screen', () => {
  const { a, clock, said } = announcer();
  for (let i = 0; i < 20; i += 1) {
    a.update(i % 2 ? [] : ['b'], nameOf);
    clock.advance(2000);
  }
  a.update([], nameOf);
  clock.advance(MIN_GAP_MS);
  assert.ok(said.length >= 2 && said.length <= 5, `${said.length} announcements in 40 s`);
  for (let i = 1; i < said.length; i += 1) assert.ok(said[i].at - said[i - 1].at >= MIN_GAP_MS);
  assert.equal(said.at(-1).words, 'U ziet Bram weer.');
});
