// Key agreement between two browsers' key pairs (web/js/room/e2ee/keys.js), in Node's WebCrypto.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { makeKeyPair, wrapSecret, unwrapSecret, freshSecret, toBase64url, fromBase64url } from '../../web/js/room/e2ee/keys.js';

const ANNA = 'a1a1a1a1-0000-4000-8000-000000000001';
const BART = 'b2b2b2b2-0000-4000-8000-000000000002';
const CEES = 'c3c3c3c3-0000-4000-8000-000000000003';

async function people() {
  const [a, b, c] = await Promise.all([makeKeyPair(), makeKeyPair(), makeKeyPair()]);
  return { anna: { keys: a, id: ANNA }, bart: { keys: b, id: BART }, cees: { keys: c, id: CEES } };
}
const pub = (who) => ({ id: who.id, publicRaw: who.keys.publicRaw });

test('a public key is the 65-byte uncompressed P-256 point in base64url without padding', async () => {
  const k = await makeKeyPair();
  assert.equal(k.publicRaw.length, 65);
  assert.equal(k.publicRaw[0], 0x04);
  assert.match(k.publicText, /^[A-Za-z0-9_-]{87}$/);
  assert.deepEqual(fromBase64url(k.publicText), k.publicRaw);
  await assert.rejects(crypto.subtle.exportKey('pkcs8', k.privateKey), 'the private key cannot leave the page');
});

test('a sender key wrapped for a recipient opens for that recipient, with its KID', async () => {
  const { anna, bart } = await people();
  const key = freshSecret();
  const blob = await wrapSecret(key, anna, pub(bart));
  assert.ok(blob.length <= 1024);
  const opened = await unwrapSecret(blob, pub(anna), bart);
  assert.deepEqual(opened.secret, key.secret);
  assert.equal(opened.kid, key.kid);
});

test('nobody else can open it: not a third participant, not the sender claimed to be someone else', async () => {
  const { anna, bart, cees } = await people();
  const blob = await wrapSecret(freshSecret(), anna, pub(bart));
  await assert.rejects(unwrapSecret(blob, pub(anna), cees), 'a third participant');
  await assert.rejects(unwrapSecret(blob, pub(cees), bart), 'another sender');
  await assert.rejects(unwrapSecret(blob, { id: CEES, publicRaw: anna.keys.publicRaw }, bart), 'the right key under another participant id');
  await assert.rejects(unwrapSecret(blob, pub(anna), { ...bart, id: CEES }), 'the right key pair under another recipient id');
});

test('a wrapped key whose KID or ciphertext was altered does not open', async () => {
  const { anna, bart } = await people();
  const blob = fromBase64url(await wrapSecret(freshSecret(), anna, pub(bart)));
  for (const at of [5, 12, blob.length - 1]) {
    const bad = blob.slice();
    bad[at] ^= 1;
    await assert.rejects(unwrapSecret(toBase64url(bad), pub(anna), bart), `byte ${at}`);
  }
  await assert.rejects(unwrapSecret('not base64url!', pub(anna), bart));
});

test('fresh secrets are 16 random bytes with a KID that is a safe integer above the short range', () => {
  const seen = new Set();
  for (let i = 0; i < 200; i += 1) {
    const { secret, kid } = freshSecret();
    assert.equal(secret.length, 16);
    assert.ok(Number.isSafeInteger(kid) && kid >= 8 && kid < 2 ** 48);
    seen.add(kid);
  }
  assert.equal(seen.size, 200);
});
