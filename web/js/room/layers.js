// The simulcast layers every browser publishes of its camera (docs/media.md): the SFU forwards
// one of them to each subscriber, chosen from that subscriber's bandwidth estimate and from how
// big the subscriber shows the video (`video_view`, see video-view.js). No DOM here, so the
// table and the fallbacks are unit-tested in Node (tests/web/layers.test.mjs).

/**
 * Low to high, in the order the SFU expects the rids (`l` is its layer 0, `h` its layer 2).
 * Sized for the camera devices.js asks for (640×480 at 24 fps): 320×240 at 15 frames a second
 * and the full 640×480. The low layer is what a weak link gets: 150 kbit/s keeps a talking head
 * clear at that size, and it is what decides whether a link of 500 kbit/s carries a picture at
 * all: three others' audio take about 190 kbit/s of it with their packets' headers, a 200 kbit/s
 * layer with its own headers and the retransmissions of a lossy link then no longer fit (the
 * `weak` e2e story). 1 Mbit/s is a full 640×480 without blocks on movement, more buys little.
 * Together they ask 1.15 Mbit/s of the sender's uplink.
 *
 * Two layers, not three: Chromium sends only as many layers as it deems the camera's size
 * worth (libwebrtc's `LimitSimulcastLayerCount`), two below 960×540, and it keeps the first
 * of the table. A third, smaller layer first would have cost every viewer the full picture.
 */
export const LAYERS = Object.freeze([
  Object.freeze({ rid: 'l', scaleResolutionDownBy: 2, maxBitrate: 150_000, maxFramerate: 15 }),
  Object.freeze({ rid: 'h', scaleResolutionDownBy: 1, maxBitrate: 1_000_000 }),
]);

/** The `sendEncodings` of a camera's transceiver: one fresh object per layer. */
export function simulcastEncodings() {
  return LAYERS.map((layer) => ({ ...layer }));
}

/**
 * Adds a send-only video transceiver for `trackOrKind` that publishes every layer. A browser
 * that refuses simulcast encodings (it throws before it makes the transceiver) gets one plain
 * encoding instead, as before simulcast: the join must never fail for it.
 */
export function addVideoTransceiver(pc, trackOrKind, init) {
  try {
    return pc.addTransceiver(trackOrKind, { ...init, sendEncodings: simulcastEncodings() });
  } catch (err) {
    console.warn('simulcast refused, sending one layer', err);
    return pc.addTransceiver(trackOrKind, init);
  }
}

/**
 * The sender parameters to set after the answer, or null when nothing is to change. An answer
 * that does not take simulcast leaves the sender only its first encoding (JSEP), which is the
 * smallest layer: that one then sends the full picture at the top layer's rate, so a server
 * without simulcast still gets a sharp video rather than 320×240.
 */
export function loneLayerParameters(params) {
  const encodings = params && params.encodings;
  if (!encodings || encodings.length !== 1) return null;
  const [only] = encodings;
  if (!(only.scaleResolutionDownBy > 1)) return null;
  const { maxFramerate: _lowLayersRate, ...rest } = only;
  const top = LAYERS[LAYERS.length - 1];
  return { ...params, encodings: [{ ...rest, scaleResolutionDownBy: top.scaleResolutionDownBy, maxBitrate: top.maxBitrate }] };
}
