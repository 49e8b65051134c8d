// Connection quality per tile from getStats figures, and when the client reconnects by itself.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { THRESHOLDS as TH, tracker, stepInbound, stepOutbound, combine, shouldRetry, retryDelay, readReport } from '../../web/js/room/quality.js';

/** Feeds samples one second apart; returns the levels seen. */
function feed(samples, opts = {}) {
  let t = tracker(0);
  const levels = [];
  samples.forEach((sample, i) => {
    t = stepInbound(t, sample, { now: (i + 1) * 1000, ...opts });
    levels.push(t.level);
  });
  return levels;
}

const flowing = (n, { lossEvery = 0, jitter = 0.005, frames = true } = {}) => Array.from({ length: n }, (_, i) => ({
  bytes: (i + 1) * 10000, packets: (i + 1) * 50, lost: lossEvery ? Math.floor(((i + 1) * 50) / lossEvery) : 0, jitter, frames: frames ? (i + 1) * 24 : null,
}));

test('media that arrives steadily is good', () => {
  assert.deepEqual(feed(flowing(4)), ['good', 'good', 'good', 'good']);
});

test('media that never arrives is connecting at first and lost after the grace period', () => {
  const levels = feed(Array(12).fill(null));
  assert.equal(levels[0], 'connecting');
  assert.equal(levels[(TH.connectingGraceMs / 1000) - 2], 'connecting');
  assert.equal(levels[11], 'lost');
});

test('media that stops arriving is lost after a few seconds, and good again when it comes back', () => {
  const start = flowing(3);
  const stuck = Array(6).fill(start[2]);
  const back = flowing(12).slice(9);
  const levels = feed([...start, ...stuck, ...back]);
  assert.equal(levels[2], 'good');
  assert.equal(levels[3], 'good', 'one quiet second is not yet lost');
  assert.equal(levels[2 + TH.lostAfterMs / 1000], 'lost');
  assert.equal(levels.at(-1), 'good');
});

test('video whose bytes arrive but whose frames are not decoded is lost', () => {
  const samples = flowing(8).map((s, i) => ({ ...s, frames: i < 2 ? s.frames : 48 }));
  assert.equal(feed(samples).at(-1), 'lost');
});

test('heavy loss, high jitter or a slow round trip make a stream poor', () => {
  assert.equal(feed(flowing(4, { lossEvery: 10 })).at(-1), 'poor', '10% loss');
  assert.equal(feed(flowing(4, { lossEvery: 100 })).at(-1), 'good', '1% loss');
  assert.equal(feed(flowing(4, { jitter: 0.09 })).at(-1), 'poor', '90 ms jitter');
  assert.equal(feed(flowing(4), { rttMs: 800 }).at(-1), 'poor', '800 ms round trip');
});

test('a muted microphone or camera is off, not lost, and is judged afresh when switched on', () => {
  let t = tracker(0);
  for (let i = 1; i <= 20; i += 1) t = stepInbound(t, null, { now: i * 1000, expected: false });
  assert.equal(t.level, 'off');
  t = stepInbound(t, null, { now: 21000, expected: true });
  assert.equal(t.level, 'connecting', 'not lost at once after twenty silent seconds');
});

test('a person is as bad as their worst expected stream', () => {
  assert.equal(combine(['good', 'off']), 'good');
  assert.equal(combine(['good', 'lost']), 'lost');
  assert.equal(combine(['poor', 'connecting']), 'poor');
  assert.equal(combine(['off', 'off']), 'off');
});

test('the own side is lost when the connection fails or nothing leaves while it should', () => {
  let t = tracker(0);
  t = stepOutbound(t, { bytes: 1000, fractionLost: 0 }, { now: 1000 });
  assert.equal(t.level, 'good');
  t = stepOutbound(t, { bytes: 2000, fractionLost: 0.2 }, { now: 2000 });
  assert.equal(t.level, 'poor', '20% of what we send is lost');
  assert.equal(stepOutbound(t, { bytes: 3000, fractionLost: 0 }, { now: 3000, state: 'disconnected' }).level, 'lost');
  for (let now = 3000; now <= 9000; now += 1000) t = stepOutbound(t, { bytes: 2000, fractionLost: 0 }, { now });
  assert.equal(t.level, 'lost', 'nothing sent for seven seconds');
  const off = stepOutbound(tracker(0), null, { now: 30000, expected: false });
  assert.equal(off.level, 'good', 'microphone and camera off on a working connection');
});

test('the client reconnects after its media was lost a while, with growing pauses', () => {
  const retry = { attempt: 0, lastAt: null };
  assert.equal(shouldRetry({ level: 'lost', lostSince: 0, retry, now: TH.retryAfterMs - 1 }), false);
  assert.equal(shouldRetry({ level: 'lost', lostSince: 0, retry, now: TH.retryAfterMs }), true);
  assert.equal(shouldRetry({ level: 'poor', lostSince: 0, retry, now: 60000 }), false);
  const after = { attempt: 3, lastAt: 10000 };
  assert.equal(retryDelay(3), 8000);
  assert.equal(shouldRetry({ level: 'lost', lostSince: 0, retry: after, now: 17999 }), false);
  assert.equal(shouldRetry({ level: 'lost', lostSince: 0, retry: after, now: 18000 }), true);
  assert.equal(retryDelay(10), TH.maxRetryDelayMs);
});

test('a getStats report is read into streams by mid, own sending and the round trip', () => {
  const report = new Map([
    ['a', { id: 'a', type: 'inbound-rtp', kind: 'audio', mid: '0', bytesReceived: 500, packetsReceived: 10, packetsLost: 1, jitter: 0.01 }],
    ['v', { id: 'v', type: 'inbound-rtp', kind: 'video', mid: '1', bytesReceived: 9000, packetsReceived: 20, packetsLost: 0, jitter: 0.02, framesDecoded: 12 }],
    ['o', { id: 'o', type: 'outbound-rtp', kind: 'audio', bytesSent: 700, remoteId: 'r' }],
    ['r', { id: 'r', type: 'remote-inbound-rtp', kind: 'audio', fractionLost: 0.03 }],
    ['p', { id: 'p', type: 'candidate-pair', nominated: true, state: 'succeeded', currentRoundTripTime: 0.042 }],
  ]);
  const read = readReport(report);
  assert.deepEqual(read.inbound.get('1'), { kind: 'video', track: null, bytes: 9000, packets: 20, lost: 0, jitter: 0.02, frames: 12 });
  assert.equal(read.inbound.get('0').frames, null);
  assert.deepEqual(read.outbound.audio, { bytes: 700, fractionLost: 0.03 });
  assert.equal(Math.round(read.rttMs), 42);
});

test('a report as Firefox ESR 153 gives it is read the same way (recorded fields, trimmed)', () => {
  // Firefox names tracks in braces, marks the chosen pair `selected` as well as `nominated`,
  // reports 0 for the round trip on loopback and links outbound and remote-inbound both ways.
  const report = new Map([
    ['629a864', { id: '629a864', type: 'inbound-rtp', kind: 'audio', mediaType: 'audio', mid: '0', trackIdentifier: '{612ae306-e413-4760-8fd0-dc08fb9440f9}',
      bytesReceived: 40249, packetsReceived: 249, packetsLost: 0, jitter: 0.005, concealedSamples: 1152, remoteId: '9b369438' }],
    ['aabb2090', { id: 'aabb2090', type: 'inbound-rtp', kind: 'video', mediaType: 'video', mid: '1', trackIdentifier: '{0c5d2b8e-6a3f-4f8e-9d55-3c1c8f0f7a21}',
      bytesReceived: 83986, packetsReceived: 149, packetsLost: 2, jitter: 0.0005444444444444444, framesDecoded: 148, frameWidth: 320, frameHeight: 240 }],
    ['c9b2a0f5', { id: 'c9b2a0f5', type: 'outbound-rtp', kind: 'audio', mediaType: 'audio', mid: '0', bytesSent: 40249, packetsSent: 249, remoteId: '65dad09c' }],
    ['86ed678', { id: '86ed678', type: 'outbound-rtp', kind: 'video', mediaType: 'video', mid: '1', bytesSent: 85710, packetsSent: 172, remoteId: 'b64e7c20' }],
    ['65dad09c', { id: '65dad09c', type: 'remote-inbound-rtp', kind: 'audio', fractionLost: 0, localId: 'c9b2a0f5', roundTripTimeMeasurements: 0 }],
    ['b64e7c20', { id: 'b64e7c20', type: 'remote-inbound-rtp', kind: 'video', fractionLost: 0.0117, localId: '86ed678', roundTripTime: 0.00116 }],
    ['ca35fb7', { id: 'ca35fb7', type: 'candidate-pair', nominated: true, selected: true, state: 'succeeded', currentRoundTripTime: 0, totalRoundTripTime: 0.002 }],
  ]);
  const read = readReport(report);
  assert.deepEqual(read.inbound.get('0'), { kind: 'audio', track: '{612ae306-e413-4760-8fd0-dc08fb9440f9}', bytes: 40249, packets: 249, lost: 0, jitter: 0.005, frames: null });
  assert.equal(read.inbound.get('1').frames, 148);
  assert.equal(read.inbound.get('1').lost, 2);
  assert.deepEqual(read.outbound.video, { bytes: 85710, fractionLost: 0.0117 });
  assert.deepEqual(read.outbound.audio, { bytes: 40249, fractionLost: 0 });
  assert.equal(read.rttMs, 0);
});
