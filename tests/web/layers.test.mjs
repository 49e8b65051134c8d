// What a browser publishes of its camera: three simulcast layers, low to high, and one plain
// encoding where the browser or the server does not take simulcast (web/js/room/layers.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LAYERS, simulcastEncodings, addVideoTransceiver, loneLayerParameters } from '../../web/js/room/layers.js';

/** A peer connection that records its transceivers; `refuse` throws for simulcast encodings. */
function fakePc({ refuse = false } = {}) {
  return {
    made: [],
    addTransceiver(trackOrKind, init) {
      if (refuse && init.sendEncodings) throw new TypeError('rid not supported');
      const tr = { trackOrKind, init };
      this.made.push(tr);
      return tr;
    },
  };
}

test('the camera is published in two layers, low to high, the low one half the size of the full picture', () => {
  const encodings = simulcastEncodings();
  assert.deepEqual(encodings.map((e) => e.rid), ['l', 'h']);
  assert.deepEqual(encodings.map((e) => e.scaleResolutionDownBy), [2, 1]);
  for (let i = 1; i < encodings.length; i += 1) assert.ok(encodings[i].maxBitrate > encodings[i - 1].maxBitrate, 'a bigger layer may use more');
  // A 640×480 camera gives 240 and 480 lines: three low layers and their audio fit 800 kbit/s.
  assert.ok(encodings[0].maxBitrate <= 150_000);
  assert.ok(encodings[0].maxFramerate <= 15, 'the low layer at a lower frame rate');
});

test('each transceiver gets its own encodings, so a browser changing one changes no other', () => {
  const first = simulcastEncodings();
  first[0].maxBitrate = 1;
  assert.equal(simulcastEncodings()[0].maxBitrate, LAYERS[0].maxBitrate);
});

test('a camera transceiver is made with the layers and the caller\'s direction and stream', () => {
  const pc = fakePc();
  const tr = addVideoTransceiver(pc, 'camera-track', { direction: 'sendonly', streams: ['s'] });
  assert.equal(pc.made.length, 1);
  assert.equal(tr.init.direction, 'sendonly');
  assert.deepEqual(tr.init.streams, ['s']);
  assert.deepEqual(tr.init.sendEncodings.map((e) => e.rid), ['l', 'h']);
});

test('a browser that refuses simulcast encodings still publishes its camera, in one encoding', (t) => {
  t.mock.method(console, 'warn', () => {});
  const pc = fakePc({ refuse: true });
  const tr = addVideoTransceiver(pc, 'video', { direction: 'sendonly', streams: ['s'] });
  assert.equal(pc.made.length, 1, 'one transceiver, not none and not two');
  assert.equal(tr.trackOrKind, 'video');
  assert.equal(tr.init.sendEncodings, undefined);
  assert.equal(tr.init.direction, 'sendonly');
});

test('an answer without simulcast leaves the smallest layer, which then sends the full picture', () => {
  const params = { transactionId: 'x', encodings: [{ rid: 'l', active: true, scaleResolutionDownBy: 2, maxBitrate: 150_000, maxFramerate: 15 }] };
  const next = loneLayerParameters(params);
  assert.equal(next.transactionId, 'x', 'the same transaction, or setParameters refuses');
  assert.deepEqual(next.encodings, [{ rid: 'l', active: true, scaleResolutionDownBy: 1, maxBitrate: 1_000_000 }]);
});

test('nothing changes when simulcast was taken, or the encoding is plain already', () => {
  assert.equal(loneLayerParameters({ encodings: simulcastEncodings() }), null);
  assert.equal(loneLayerParameters({ encodings: [{ active: true }] }), null);
  assert.equal(loneLayerParameters({ encodings: [{ scaleResolutionDownBy: 1 }] }), null);
  assert.equal(loneLayerParameters({ encodings: [] }), null);
});
