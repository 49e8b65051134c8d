// The encrypted frame format of docs/e2ee.md, checked against RFC 9605's own test vectors where
// the RFC has them (header encoding, AES_128_GCM_SHA256_128), and by round trips otherwise.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeHeader, decodeHeader, deriveFrameKey, sealFrame, parseFrame, openFrame, clearPrefixLength, nonceFor, CIPHER_SUITE } from '../../web/js/room/e2ee/frame.js';

const hex = (b) => Buffer.from(b).toString('hex');
const bytes = (h) => new Uint8Array(Buffer.from(h.replace(/\s+/g, ''), 'hex'));

// RFC 9605 Appendix C.1 (a selection), plus the small values the config byte holds itself.
const HEADERS = [
  [0x0, 0x0, '00'], [0x0, 0x1, '01'], [0x7, 0x7, '77'], [0x0, 0xff, '08ff'], [0x0, 0x100, '090100'],
  [0x8, 0x0, '8008'], [0xff, 0x0, '80ff'], [0x123, 0x4567, '99012345' + '67'],
  [0x10000000000, 0x0, 'd0010000000000'], [0x10000000000, 0xff, 'd8010000000000ff'], [0x10000000000, 0x100, 'd90100000000000100'],
  [0x10000000000, 0x10000000000, 'dd010000000000010000000000'], [0xffffffffffff, 0xffffffffffff, 'ddffffffffffffffffffffffff'],
  [0xffffffffffff, 0x1000000000000, 'deffffffffffff01000000000000'],
  [0x1000000000000, 0x0, 'e001000000000000'], [0x1000000000000, 0xffff, 'e901000000000000ffff'],
];

test('SFrame headers are encoded as RFC 9605 encodes them, small and large KID and CTR alike', () => {
  for (const [kid, ctr, expected] of HEADERS) {
    assert.equal(hex(encodeHeader(kid, ctr)), expected, `kid ${kid.toString(16)} ctr ${ctr.toString(16)}`);
    assert.deepEqual(decodeHeader(bytes(expected)), { kid, ctr, length: expected.length / 2 });
  }
});

test('a header cut short or naming a KID beyond what JavaScript counts exactly is not read', () => {
  assert.equal(decodeHeader(bytes('9901')), null);
  assert.equal(decodeHeader(new Uint8Array(0)), null);
  assert.equal(decodeHeader(bytes('f0ffffffffffffffff')), null);
});

test('key, salt and ciphertext match RFC 9605 test vector for AES_128_GCM_SHA256_128', async () => {
  assert.equal(CIPHER_SUITE, 4);
  const key = await deriveFrameKey(bytes('000102030405060708090a0b0c0d0e0f'), 0x123);
  assert.equal(hex(key.salt), '75234edefe07819026751816');
  assert.equal(hex(nonceFor(key.salt, 0x4567)), '75234edefe07819026755d71');
  // The RFC's AAD is header ‖ metadata; ours is P ‖ header with the same AEAD, so the vector is
  // checked at the AEAD level with the RFC's AAD.
  const aad = bytes('99012345674945544620534672616d65205747');
  const ct = await crypto.subtle.encrypt({ name: 'AES-GCM', iv: nonceFor(key.salt, 0x4567), additionalData: aad }, key.key, bytes('64726166742d696574662d736672616d652d656e63'));
  assert.equal('9901234567' + hex(new Uint8Array(ct)), '9901234567b7412c2513a1b66dbb48841bbaf17f598751176ad847681a69c6d0b091c07018ce4adb34eb');
});

async function roundTrip(kind, frame, kid = 0x1234_5678_9abc, ctr = 41) {
  const key = await deriveFrameKey(crypto.getRandomValues(new Uint8Array(16)), kid);
  const sealed = await sealFrame(key, ctr, kind, frame);
  const [first] = parseFrame(kind, sealed);
  return { key, sealed, parsed: first, opened: await openFrame(key, first, sealed) };
}

test('a VP8 keyframe keeps its first 10 bytes in the clear and decrypts to itself', async () => {
  const frame = crypto.getRandomValues(new Uint8Array(900));
  frame[0] &= 0xfe;
  const { sealed, parsed, opened } = await roundTrip('video', frame);
  assert.equal(clearPrefixLength('video', frame), 10);
  assert.deepEqual(sealed.subarray(0, 10), frame.subarray(0, 10));
  assert.equal(hex(sealed.subarray(10, 10 + parsed.header.length)), hex(encodeHeader(0x1234_5678_9abc, 41)));
  assert.equal(sealed.length, 900 + parsed.header.length + 16);
  assert.notDeepEqual(sealed.subarray(parsed.bodyAt, parsed.bodyAt + 890), frame.subarray(10));
  assert.deepEqual(opened, frame);
});

test('a VP8 delta frame keeps 3 bytes in the clear and an Opus frame its TOC byte', async () => {
  const delta = crypto.getRandomValues(new Uint8Array(300));
  delta[0] |= 0x01;
  const d = await roundTrip('video', delta);
  assert.deepEqual(d.sealed.subarray(0, 3), delta.subarray(0, 3));
  assert.equal(d.parsed.prefixLength, 3);
  assert.deepEqual(d.opened, delta);
  const opus = crypto.getRandomValues(new Uint8Array(80));
  const a = await roundTrip('audio', opus);
  assert.equal(a.sealed[0], opus[0]);
  assert.equal(a.parsed.prefixLength, 1);
  assert.deepEqual(a.opened, opus);
});

test('a frame shorter than its prefix stays whole in the clear and carries only the tag', async () => {
  const tiny = Uint8Array.of(0x00, 0x9d, 0x01);
  const key = await deriveFrameKey(crypto.getRandomValues(new Uint8Array(16)), 77);
  const sealed = await sealFrame(key, 0, 'video', tiny);
  assert.deepEqual(sealed.subarray(0, 3), tiny);
  assert.equal(sealed.length, 3 + 2 + 16);
  const found = parseFrame('video', sealed).find((c) => c.header.kid === 77);
  assert.equal(found.prefixLength, 3);
  assert.deepEqual(await openFrame(key, found, sealed), tiny);
  const empty = await sealFrame(key, 1, 'audio', new Uint8Array(0));
  const e = parseFrame('audio', empty).find((c) => c.header.kid === 77);
  assert.deepEqual(await openFrame(key, e, empty), new Uint8Array(0));
});

test('a changed byte anywhere — clear prefix, header or ciphertext — fails the tag', async () => {
  const frame = crypto.getRandomValues(new Uint8Array(200));
  frame[0] |= 0x01;
  const { key, sealed } = await roundTrip('video', frame);
  for (const at of [1, 3, 5, sealed.length - 20, sealed.length - 1]) {
    const bad = sealed.slice();
    bad[at] ^= 0x40;
    // However the bytes are read, none of the readings opens with the sender's key (bytes 3
    // and 5 are in the header: the frame then names no key of his and is dropped as unknown).
    const candidates = parseFrame('video', bad);
    if (at !== 3 && at !== 5) assert.ok(candidates.some((c) => c.header.kid === key.kid), `byte ${at}: the header still names the key`);
    for (const c of candidates) await assert.rejects(openFrame(key, c, bad), `byte ${at}`);
  }
});

test('the wrong key does not open a frame', async () => {
  const frame = crypto.getRandomValues(new Uint8Array(120));
  const { sealed, parsed } = await roundTrip('audio', frame, 99);
  const other = await deriveFrameKey(crypto.getRandomValues(new Uint8Array(16)), 99);
  await assert.rejects(openFrame(other, parsed, sealed));
});

test('every counter gives a different nonce, and the same frame a different ciphertext', async () => {
  const key = await deriveFrameKey(crypto.getRandomValues(new Uint8Array(16)), 1000);
  const frame = new Uint8Array(64).fill(7);
  const a = await sealFrame(key, 0, 'audio', frame);
  const b = await sealFrame(key, 1, 'audio', frame);
  assert.notEqual(hex(nonceFor(key.salt, 0)), hex(nonceFor(key.salt, 1)));
  assert.notEqual(hex(a.subarray(4)), hex(b.subarray(4)));
});
