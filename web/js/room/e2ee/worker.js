// The one module worker behind every encoded transform of a page (RTCRtpScriptTransform):
// senders encrypt each encoded frame with the current sender key, receivers find the key by
// the frame's KID and decrypt (docs/e2ee.md). The page tells it the keys and the mode:
//   { type: 'send-key', kid, secret }   frames from now on use this key (CTR from 0)
//   { type: 'add-key', kid, secret }    frames with this KID can be decrypted
//   { type: 'forget-keys', kids }       (no `kids`: all receive keys)
//   { type: 'mode', encrypted }         encrypted: never send or play a clear frame
//   { type: 'receive', allowed }        false while sent out: no frame that cannot be decrypted
//                                       is played, whatever the mode
// and it posts { type: 'stats', … } about once a second while frames flow.

import { deriveFrameKey, sealFrame, parseFrame, openFrame } from './frame.js';

let encrypted = true;
let receiveAllowed = true;
let sendKey = null;
let sendCtr = 0;
/** KID → frame key (receive side). */
const receiveKeys = new Map();
const stats = {
  encrypted: 0, decrypted: 0, passed: 0,
  droppedUnknownKey: 0, droppedBadTag: 0, droppedNoSendKey: 0, failed: 0,
  /** Keyframes asked for after frames were dropped for want of a key. */
  keyframeRequests: 0,
  encryptMicros: 0, decryptMicros: 0,
  /** KIDs of frames decrypted, with how many (rotation shows up here). */
  kids: {},
  sendKid: null,
};
let lastPosted = 0;

function post(force = false) {
  const now = performance.now();
  if (!force && now - lastPosted < 1000) return;
  lastPosted = now;
  self.postMessage({ type: 'stats', stats: { ...stats, kids: { ...stats.kids } } });
}

// Messages are handled strictly in order (a key derived late must not land after a `forget`).
let queue = Promise.resolve();
self.onmessage = (event) => {
  queue = queue.then(() => handle(event.data)).catch(() => { /* a bad key message changes nothing */ });
};

async function handle(msg) {
  switch (msg.type) {
    case 'send-key': {
      const key = await deriveFrameKey(msg.secret, msg.kid);
      sendKey = key;
      sendCtr = 0;
      stats.sendKid = msg.kid;
      break;
    }
    case 'add-key':
      receiveKeys.set(msg.kid, await deriveFrameKey(msg.secret, msg.kid));
      break;
    case 'forget-keys':
      if (msg.kids) for (const kid of msg.kids) receiveKeys.delete(kid);
      else receiveKeys.clear();
      break;
    case 'mode':
      encrypted = Boolean(msg.encrypted);
      break;
    case 'receive':
      receiveAllowed = Boolean(msg.allowed);
      break;
    case 'stats':
      post(true);
      return;
    default:
      return;
  }
  post(true);
}

async function encryptFrame(kind, frame, controller) {
  if (!encrypted) {
    stats.passed += 1;
    controller.enqueue(frame);
    return;
  }
  const key = sendKey;
  if (!key) {
    // Never a clear frame in an encrypted room.
    stats.droppedNoSendKey += 1;
    return;
  }
  // Taken before any await: every (KID, CTR) is used once, whatever runs in between.
  const ctr = sendCtr;
  sendCtr += 1;
  const started = performance.now();
  frame.data = (await sealFrame(key, ctr, kind, new Uint8Array(frame.data))).buffer;
  stats.encryptMicros += (performance.now() - started) * 1000;
  stats.encrypted += 1;
  controller.enqueue(frame);
}

/** Least time between two keyframe requests of one receiver. */
const KEYFRAME_REQUEST_MS = 500;

/**
 * A receiver that dropped video frames (no key yet: the keyframe before the key arrived) and now
 * decrypts a delta frame asks the sender for a keyframe at once, instead of waiting for the
 * decoder to give up (seconds in Chromium).
 */
function askForKeyframe(link, frame, decryptedData) {
  const key = frame.type ? frame.type === 'key' : (decryptedData[0] & 0x01) === 0;
  link.waiting = false;
  if (key || !link.transformer.sendKeyFrameRequest) return;
  const now = performance.now();
  if (now - link.requestedAt < KEYFRAME_REQUEST_MS) return;
  link.requestedAt = now;
  stats.keyframeRequests += 1;
  try {
    link.transformer.sendKeyFrameRequest().catch(() => { /* the sender sends one in time anyway */ });
  } catch { /* idem */ }
}

async function decryptFrame(kind, frame, controller, link) {
  const data = new Uint8Array(frame.data);
  const started = performance.now();
  let knownKid = false;
  for (const candidate of parseFrame(kind, data)) {
    const key = receiveKeys.get(candidate.header.kid);
    if (!key) continue;
    knownKid = true;
    try {
      frame.data = (await openFrame(key, candidate, data)).buffer;
    } catch {
      continue;
    }
    stats.decryptMicros += (performance.now() - started) * 1000;
    stats.decrypted += 1;
    stats.kids[candidate.header.kid] = (stats.kids[candidate.header.kid] || 0) + 1;
    if (kind === 'video' && link.waiting) askForKeyframe(link, frame, new Uint8Array(frame.data));
    controller.enqueue(frame);
    return;
  }
  if (!encrypted && receiveAllowed) {
    // The room is not encrypted: a frame we cannot open is taken for a clear one.
    stats.passed += 1;
    controller.enqueue(frame);
    return;
  }
  if (knownKid) stats.droppedBadTag += 1;
  else stats.droppedUnknownKey += 1;
  link.waiting = true;
}

self.onrtctransform = (event) => {
  const { readable, writable, options } = event.transformer;
  const kind = options.kind === 'audio' ? 'audio' : 'video';
  const step = options.role === 'send' ? encryptFrame : decryptFrame;
  const link = { transformer: event.transformer, waiting: false, requestedAt: -Infinity };
  readable.pipeThrough(new TransformStream({
    async transform(frame, controller) {
      try {
        await step(kind, frame, controller, link);
      } catch {
        // A frame that cannot be handled is dropped, never passed on as it came.
        stats.failed += 1;
      }
      post();
    },
  })).pipeTo(writable).catch(() => { /* the transform ended with its track */ });
};
