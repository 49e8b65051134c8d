// What the page tells the server about how big it shows each other's video (`video_view`), and
// when: the SFU picks each video's simulcast layer from it, and sends none that nobody sees.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import './fake-dom.mjs';
import { fakeClock } from './fake-clock.mjs';
import { videoViews, sameViews, ViewReporter, MAX_VIEWS, SETTLE_MS, MIN_INTERVAL_MS } from '../../web/js/room/video-view.js';
import { TileGrid } from '../../web/js/room/tiles.js';

const tile = (id, extra = {}) => ({ id, cssHeight: 180, inView: true, ...extra });

test('a shown video is reported at its height in device pixels, rounded', () => {
  assert.deepEqual(videoViews([tile('a', { cssHeight: 180.4 }), tile('b', { cssHeight: 333.3 })], { dpr: 1.5 }),
    [{ participant_id: 'a', height: 271 }, { participant_id: 'b', height: 500 }]);
});

test('a video scrolled out of view counts as not seen', () => {
  const views = videoViews([tile('a', { inView: false }), tile('b'), tile('c')], { dpr: 1 });
  assert.deepEqual(views, [{ participant_id: 'b', height: 180 }, { participant_id: 'c', height: 180 }, { participant_id: 'a', height: 0 }]);
});

test('a hidden page sees nothing: every height is 0', () => {
  assert.deepEqual(videoViews([tile('a'), tile('b')], { pageHidden: true, dpr: 2 }).map((v) => v.height), [0, 0]);
});

test('at most 64 entries, and the ones cut are never ones that are seen', () => {
  const tiles = Array.from({ length: 70 }, (_, i) => tile(`p${i}`, { inView: i >= 60 }));
  const views = videoViews(tiles, { dpr: 1 });
  assert.equal(views.length, MAX_VIEWS);
  assert.deepEqual(views.slice(0, 10).map((v) => v.participant_id), Array.from({ length: 10 }, (_, i) => `p${60 + i}`));
  assert.ok(views.slice(10).every((v) => v.height === 0));
});

test('two lists say the same only with the same people at the same heights', () => {
  const a = [{ participant_id: 'a', height: 180 }];
  assert.ok(sameViews(a, [{ participant_id: 'a', height: 180 }]));
  assert.ok(!sameViews(a, [{ participant_id: 'a', height: 181 }]));
  assert.ok(!sameViews(a, [{ participant_id: 'b', height: 180 }]));
  assert.ok(!sameViews(a, []));
});

function reporter({ inRoom = true, connected = true } = {}) {
  const clock = fakeClock();
  const sent = [];
  const state = { inRoom, connected, views: [{ participant_id: 'a', height: 360 }] };
  const r = new ViewReporter({
    send: (msg) => { if (!state.connected) return false; sent.push({ at: clock.now(), msg }); return true; },
    ready: () => state.inRoom,
    clock,
  });
  r.read = () => state.views;
  return { r, clock, sent, state };
}

test('a change is sent once it has settled, in exactly the message the server reads', () => {
  const { r, clock, sent } = reporter();
  r.changed();
  clock.advance(SETTLE_MS - 1);
  assert.equal(sent.length, 0, 'not before the change settled');
  clock.advance(1);
  assert.deepEqual(sent.map((s) => s.msg), [{ type: 'video_view', views: [{ participant_id: 'a', height: 360 }] }]);
  assert.equal(JSON.stringify(sent[0].msg), '{"type":"video_view","views":[{"participant_id":"a","height":360}]}');
});

test('nothing is sent when the views are what the server has', () => {
  const { r, clock, sent } = reporter();
  r.changed();
  clock.advance(1000);
  r.changed();
  clock.advance(1000);
  assert.equal(sent.length, 1);
});

test('a window dragged for two seconds sends at most twice a second, and the last size', () => {
  const { r, clock, sent, state } = reporter();
  for (let t = 0; t < 2000; t += 16) {
    state.views = [{ participant_id: 'a', height: 200 + t / 16 }];
    r.changed();
    clock.advance(16);
  }
  clock.advance(1000);
  const gaps = sent.slice(1).map((s, i) => s.at - sent[i].at);
  assert.ok(gaps.every((gap) => gap >= MIN_INTERVAL_MS), `gaps ${gaps}`);
  assert.ok(sent.length >= 4 && sent.length <= 5, `${sent.length} messages`);
  assert.deepEqual(sent.at(-1).msg.views, state.views, 'the size it ended at');
});

test('after a rejoin the same views go out again, once the room lets us in', () => {
  const { r, clock, sent, state } = reporter();
  r.changed();
  clock.advance(1000);
  state.inRoom = false;
  r.reset();
  clock.advance(1000);
  assert.equal(sent.length, 1, 'nothing while waiting for the room (it would refuse it)');
  state.inRoom = true;
  r.changed();
  clock.advance(1000);
  assert.equal(sent.length, 2);
  assert.deepEqual(sent[1].msg, sent[0].msg);
});

test('views that could not be sent are sent at the next change', () => {
  const { r, clock, sent, state } = reporter({ connected: false });
  r.changed();
  clock.advance(1000);
  state.connected = true;
  r.changed();
  clock.advance(1000);
  assert.equal(sent.length, 1);
});

test('the grid reports each other\'s tile once, at its height, and tells when tiles come and go', () => {
  globalThis.MediaStream = class { constructor(tracks) { this.tracks = tracks; } };
  let changes = 0;
  const grid = new TileGrid('people', { onViewChange: () => { changes += 1; } });
  const person = (id, extra = {}) => ({ id, name: id, role: 'partner', video_muted: false, ...extra });
  const remote = new Map([['b', { video: { kind: 'video' } }], ['c', { video: { kind: 'video' } }]]);
  grid.sync([person('a'), person('b'), person('c')], 'a', null, remote, null);
  assert.equal(changes, 1);
  for (const t of grid.tiles.values()) t.media.getBoundingClientRect = () => ({ height: 240 });
  globalThis.devicePixelRatio = 2;
  assert.deepEqual(grid.views(), [{ participant_id: 'b', height: 480 }, { participant_id: 'c', height: 480 }], 'not our own tile');

  grid.sync([person('a'), person('b'), person('c')], 'a', 'b', remote, null);
  assert.equal(changes, 1, 'a new speaker changes no size');
  grid.sync([person('a'), person('b', { video_muted: true }), person('c')], 'a', null, remote, null);
  assert.equal(changes, 2, 'a camera off does');
  // Its box still asks for the video: it comes when the camera is on again, with no new message.
  assert.deepEqual(grid.views().map((v) => v.height), [480, 480]);
  grid.sync([person('a'), person('b', { video_muted: true })], 'a', null, remote, null);
  assert.equal(changes, 3, 'someone leaving does');
  assert.deepEqual(grid.views().map((v) => v.participant_id), ['b']);
  document.visibilityState = 'hidden';
  grid.sync([person('a'), person('b')], 'a', null, remote, null);
  assert.deepEqual(grid.views(), [{ participant_id: 'b', height: 0 }], 'the tab is hidden');
  document.visibilityState = 'visible';
  grid.dispose();
});
