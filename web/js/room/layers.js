// The simulcast layers every browser publishes of its camera (docs/media.md): the SFU forwards
// one of them to each subscriber, chosen from that subscriber's bandwidth estimate and from how
// big the subscriber shows the video (`video_view`, see video-view.js). No DOM here, so the
// table and the fallbacks are unit-tested in Node (tests/web/layers.test.mjs).

/**
 * Low to high, in the order the SFU expects the rids. Sized for the camera devices.js asks for
 * (640×480 at 24 fps): 160×120, 320×240 and 640×480. The bit rates are what VP8 needs for a
 * steady talking head at each size and 24 fps: 150 kbit/s keeps the smallest picture clear
 * and, with the audio, still fits a link of 200 kbit/s; 400 kbit/s is a sharp
 * 320×240; 1 Mbit/s is a full 640×480 without blocks on movement, more buys little. All three
 * together ask about 1.6 Mbit/s of the sender's uplink.
 *
 * Chromium sends only as many layers as it deems the camera's size worth (libwebrtc's
 * `LimitSimulcastLayerCount`): below 960×540 that is two, the first two of this table. The SFU
 * must take a layer that never arrives for one it cannot forward.
 */
export const LAYERS = Object.freeze([
  Object.freeze({ rid: 'l', scaleResolutionDownBy: 4, maxBitrate: 150_000 }),
  Object.freeze({ rid: 'm', scaleResolutionDownBy: 2, maxBitrate: 400_000 }),
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
 * without simulcast still gets a sharp video rather than 160×120.
 */
export function loneLayerParameters(params) {
  const encodings = params && params.encodings;
  if (!encodings || encodings.length !== 1) return null;
  const [only] = encodings;
  if (!(only.scaleResolutionDownBy > 1)) return null;
  const top = LAYERS[LAYERS.length - 1];
  return { ...params, encodings: [{ ...only, scaleResolutionDownBy: top.scaleResolutionDownBy, maxBitrate: top.maxBitrate }] };
}
