// Key agreement between the browsers of one conference (docs/e2ee.md). Each page makes one
// ECDH P-256 key pair (the private half cannot be exported) and tells the room its public half
// in `join`. A sender's base secret travels to each recipient wrapped for that recipient alone:
// ECDH between the two key pairs → HKDF-SHA256 (info binds both public keys, both participant
// ids and the KID) → AES-128-GCM. The server relays the blob and can open none of it.

import { bigEndian, concat } from './frame.js';

/** Version byte of a wrapped key blob. */
export const WRAP_VERSION = 1;
/** Length of a base secret (bytes). */
export const SECRET_LENGTH = 16;
const IV_LENGTH = 12;
const KID_LENGTH = 8;
const encoder = new TextEncoder();

/** base64url without padding, as the protocol carries keys. */
export function toBase64url(bytes) {
  let s = '';
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

/** The bytes of a base64url string (padding optional); throws on anything else. */
export function fromBase64url(text) {
  if (typeof text !== 'string' || !/^[A-Za-z0-9_-]*={0,2}$/.test(text)) throw new TypeError('not base64url');
  const s = atob(text.replace(/-/g, '+').replace(/_/g, '/').replace(/=+$/, ''));
  return Uint8Array.from(s, (c) => c.charCodeAt(0));
}

/**
 * A fresh key pair: { privateKey (non-extractable), publicKey, publicRaw (65 bytes),
 * publicText (base64url, as sent in `join`) }.
 */
export async function makeKeyPair(subtle = globalThis.crypto.subtle) {
  const pair = await subtle.generateKey({ name: 'ECDH', namedCurve: 'P-256' }, false, ['deriveBits']);
  const publicRaw = new Uint8Array(await subtle.exportKey('raw', pair.publicKey));
  return { privateKey: pair.privateKey, publicKey: pair.publicKey, publicRaw, publicText: toBase64url(publicRaw) };
}

let pageKeys = null;
/** The page's one key pair, made on first use and kept while the page lives. */
export function pageKeyPair() {
  if (!pageKeys) pageKeys = makeKeyPair();
  return pageKeys;
}

/** A random base secret and a random 48-bit KID (a safe integer). */
export function freshSecret(random = globalThis.crypto) {
  const secret = random.getRandomValues(new Uint8Array(SECRET_LENGTH));
  const k = random.getRandomValues(new Uint8Array(6));
  let kid = 0;
  for (const b of k) kid = kid * 256 + b;
  // KIDs below 8 would fit the config byte; ours never do, so a stray short header is unknown.
  if (kid < 8) kid += 8;
  return { secret, kid };
}


/** What the wrapping key is bound to: who sends, who receives, and which key it is. */
function wrapInfo({ senderPublic, senderId, recipientPublic, recipientId, kid }) {
  return concat(encoder.encode('Ketentafel e2ee wrap v1'),
    Uint8Array.of(senderPublic.length), senderPublic, Uint8Array.of(recipientPublic.length), recipientPublic,
    encoder.encode(`|${senderId}|${recipientId}|`), bigEndian(kid, KID_LENGTH));
}

async function wrappingKey(subtle, privateKey, otherPublicRaw, info) {
  const other = await subtle.importKey('raw', otherPublicRaw, { name: 'ECDH', namedCurve: 'P-256' }, false, []);
  const shared = await subtle.deriveBits({ name: 'ECDH', public: other }, privateKey, 256);
  const hkdf = await subtle.importKey('raw', shared, 'HKDF', false, ['deriveKey']);
  return subtle.deriveKey({ name: 'HKDF', hash: 'SHA-256', salt: new Uint8Array(0), info }, hkdf, { name: 'AES-GCM', length: 128 }, false, ['encrypt', 'decrypt']);
}

/**
 * Wraps `secret` (with its KID) from `me` ({ keys: makeKeyPair(), id }) for `recipient`
 * ({ id, publicRaw }). Returns the blob as base64url: version ‖ KID (8) ‖ IV (12) ‖ ciphertext.
 */
export async function wrapSecret({ secret, kid }, me, recipient, subtle = globalThis.crypto.subtle) {
  const info = wrapInfo({ senderPublic: me.keys.publicRaw, senderId: me.id, recipientPublic: recipient.publicRaw, recipientId: recipient.id, kid });
  const key = await wrappingKey(subtle, me.keys.privateKey, recipient.publicRaw, info);
  const head = concat(Uint8Array.of(WRAP_VERSION), bigEndian(kid, KID_LENGTH));
  const iv = globalThis.crypto.getRandomValues(new Uint8Array(IV_LENGTH));
  const sealed = new Uint8Array(await subtle.encrypt({ name: 'AES-GCM', iv, additionalData: head }, key, secret));
  return toBase64url(concat(head, iv, sealed));
}

/**
 * Opens a blob that `sender` ({ id, publicRaw }) wrapped for `me`. Returns { secret, kid };
 * rejects when it was not made for this key pair and these two participants, or was altered.
 */
export async function unwrapSecret(blob, sender, me, subtle = globalThis.crypto.subtle) {
  const bytes = fromBase64url(blob);
  if (bytes.length < 1 + KID_LENGTH + IV_LENGTH + 16 || bytes[0] !== WRAP_VERSION) throw new Error('not a wrapped key of this version');
  let kid = 0;
  for (let i = 1; i <= KID_LENGTH; i += 1) kid = kid * 256 + bytes[i];
  if (!Number.isSafeInteger(kid)) throw new Error('KID out of range');
  const info = wrapInfo({ senderPublic: sender.publicRaw, senderId: sender.id, recipientPublic: me.keys.publicRaw, recipientId: me.id, kid });
  const key = await wrappingKey(subtle, me.keys.privateKey, sender.publicRaw, info);
  const head = bytes.subarray(0, 1 + KID_LENGTH);
  const iv = bytes.subarray(1 + KID_LENGTH, 1 + KID_LENGTH + IV_LENGTH);
  const secret = new Uint8Array(await subtle.decrypt({ name: 'AES-GCM', iv, additionalData: head }, key, bytes.subarray(1 + KID_LENGTH + IV_LENGTH)));
  if (secret.length !== SECRET_LENGTH) throw new Error('wrong secret length');
  return { secret, kid };
}
