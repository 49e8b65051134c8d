// The encrypted frame of docs/e2ee.md: P ‖ H ‖ C. P is the few bytes of the codec's own header
// that the SFU and the receiver's depacketiser read (left in the clear), H an SFrame header
// (RFC 9605 §4.3), C the AES-128-GCM encryption of the rest with its 16-byte tag (cipher suite
// AES_128_GCM_SHA256_128). No DOM and no WebRTC here: the worker and the unit tests use it alike.

/** RFC 9605 cipher suite AES_128_GCM_SHA256_128. */
export const CIPHER_SUITE = 0x0004;
/** Key, nonce and tag lengths of that suite (bytes). */
export const KEY_LENGTH = 16;
export const NONCE_LENGTH = 12;
export const TAG_LENGTH = 16;

const encoder = new TextEncoder();

/**
 * How many leading bytes of an encoded frame stay in the clear: a VP8 keyframe's payload
 * header and start code with the picture size (10), a VP8 delta frame's payload header (3),
 * Opus's TOC byte (1). Never more than the frame itself.
 */
export function clearPrefixLength(kind, data) {
  let n;
  if (kind === 'audio') n = 1;
  else n = data.length && (data[0] & 0x01) === 0 ? 10 : 3;
  return Math.min(n, data.length);
}

/** Minimal big-endian byte length of a non-negative safe integer (0 takes one byte). */
function byteLength(value) {
  let n = 1;
  while (value >= 2 ** (8 * n)) n += 1;
  return n;
}

function writeBigEndian(out, offset, value, length) {
  let v = value;
  for (let i = length - 1; i >= 0; i -= 1) {
    out[offset + i] = v % 256;
    v = Math.floor(v / 256);
  }
}

/** `value` as `length` big-endian bytes. */
export function bigEndian(value, length) {
  const out = new Uint8Array(length);
  writeBigEndian(out, 0, value, length);
  return out;
}

/** The SFrame header for (KID, CTR), both safe non-negative integers. */
export function encodeHeader(kid, ctr) {
  if (!Number.isSafeInteger(kid) || kid < 0 || !Number.isSafeInteger(ctr) || ctr < 0) throw new RangeError('KID and CTR must be safe non-negative integers');
  const kLen = kid < 8 ? 0 : byteLength(kid);
  const cLen = ctr < 8 ? 0 : byteLength(ctr);
  const out = new Uint8Array(1 + kLen + cLen);
  const kBits = kLen ? 0x80 | ((kLen - 1) << 4) : kid << 4;
  const cBits = cLen ? 0x08 | (cLen - 1) : ctr;
  out[0] = kBits | cBits;
  if (kLen) writeBigEndian(out, 1, kid, kLen);
  if (cLen) writeBigEndian(out, 1 + kLen, ctr, cLen);
  return out;
}

function readBigEndian(bytes, offset, length) {
  let v = 0;
  for (let i = 0; i < length; i += 1) v = v * 256 + bytes[offset + i];
  return v;
}

/**
 * Reads an SFrame header at `offset`: { kid, ctr, length } or null when the bytes are too few
 * or a value does not fit a safe integer (no key of ours has such a KID).
 */
export function decodeHeader(bytes, offset = 0) {
  if (bytes.length <= offset) return null;
  const config = bytes[offset];
  const kLen = config & 0x80 ? ((config >> 4) & 0x07) + 1 : 0;
  const cLen = config & 0x08 ? (config & 0x07) + 1 : 0;
  const length = 1 + kLen + cLen;
  if (bytes.length < offset + length) return null;
  if (kLen > 6 && bytes[offset + 1] > 0x1f) return null;
  if (cLen > 6 && bytes[offset + 1 + kLen] > 0x1f) return null;
  if ((kLen === 8 && bytes[offset + 1] !== 0) || (cLen === 8 && bytes[offset + 1 + kLen] !== 0)) return null;
  const kid = kLen ? readBigEndian(bytes, offset + 1, kLen) : (config >> 4) & 0x07;
  const ctr = cLen ? readBigEndian(bytes, offset + 1 + kLen, cLen) : config & 0x07;
  if (!Number.isSafeInteger(kid) || !Number.isSafeInteger(ctr)) return null;
  return { kid, ctr, length };
}

/** The byte arrays one after another. */
export function concat(...parts) {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}

/**
 * The AES-GCM key and salt of one sender key (RFC 9605 §4.4.2): HKDF-SHA256 with an empty
 * salt over the base secret, info "SFrame 1.0 Secret key " ‖ KID (8 bytes) ‖ cipher suite
 * (2 bytes), and the same with "salt". Returns { kid, key (CryptoKey), salt (12 bytes) }.
 */
export async function deriveFrameKey(baseSecret, kid, subtle = globalThis.crypto.subtle) {
  const ikm = await subtle.importKey('raw', baseSecret, 'HKDF', false, ['deriveBits']);
  const tail = concat(bigEndian(kid, 8), bigEndian(CIPHER_SUITE, 2));
  const expand = (label, bytes) => subtle.deriveBits({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info: concat(encoder.encode(label), tail) }, ikm, bytes * 8);
  const [keyBits, saltBits] = await Promise.all([expand('SFrame 1.0 Secret key ', KEY_LENGTH), expand('SFrame 1.0 Secret salt ', NONCE_LENGTH)]);
  const key = await subtle.importKey('raw', keyBits, 'AES-GCM', false, ['encrypt', 'decrypt']);
  return { kid, key, salt: new Uint8Array(saltBits) };
}

/** salt XOR CTR, the counter as a 96-bit big-endian number. */
export function nonceFor(salt, ctr) {
  const nonce = new Uint8Array(salt);
  const c = bigEndian(ctr, NONCE_LENGTH);
  for (let i = 0; i < NONCE_LENGTH; i += 1) nonce[i] ^= c[i];
  return nonce;
}

/**
 * Encrypts one encoded frame: P ‖ H ‖ AES-GCM(rest) with AAD = P ‖ H.
 * `frameKey` from deriveFrameKey; `ctr` unique for this key.
 */
export async function sealFrame(frameKey, ctr, kind, data, subtle = globalThis.crypto.subtle) {
  const p = clearPrefixLength(kind, data);
  const prefix = data.subarray(0, p);
  const header = encodeHeader(frameKey.kid, ctr);
  const aad = concat(prefix, header);
  const sealed = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv: nonceFor(frameKey.salt, ctr), additionalData: aad, tagLength: TAG_LENGTH * 8 }, frameKey.key, data.subarray(p)));
  return concat(aad, sealed);
}

/**
 * The ways `data` can be read as an encrypted frame, most likely first: each
 * { prefixLength, header: {kid, ctr, length}, bodyAt }. First the codec's full clear prefix
 * with a body of at least a tag; then, for a frame that was shorter than its prefix (P was the
 * whole frame and C holds the tag only), every shorter prefix after which exactly a tag follows.
 * Empty when it cannot be one.
 */
export function parseFrame(kind, data) {
  const full = clearPrefixLength(kind, data);
  const out = [];
  for (let p = full; p >= 0; p -= 1) {
    const header = decodeHeader(data, p);
    if (!header) continue;
    const bodyAt = p + header.length;
    const body = data.length - bodyAt;
    if (p === full ? body >= TAG_LENGTH : body === TAG_LENGTH) out.push({ prefixLength: p, header, bodyAt });
  }
  return out;
}

/**
 * Decrypts one frame as read by parseFrame with the key its KID names; returns the original
 * frame (P ‖ plaintext). Rejects when the tag does not verify (tampered, wrong key).
 */
export async function openFrame(frameKey, parsed, data, subtle = globalThis.crypto.subtle) {
  const aad = data.subarray(0, parsed.bodyAt);
  const plain = new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv: nonceFor(frameKey.salt, parsed.header.ctr), additionalData: aad, tagLength: TAG_LENGTH * 8 }, frameKey.key, data.subarray(parsed.bodyAt)));
  return concat(data.subarray(0, parsed.prefixLength), plain);
}
