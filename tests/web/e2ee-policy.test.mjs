// Who gets which key, whether the room is encrypted, and the safety code, as pure decisions on
// the participant list (web/js/room/e2ee/policy.js).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { roomMode, safetyCode, keyPlan, keepReceiveKeys, KEYS_KEPT_PER_SENDER, WELL_KNOWN_KEYS } from '../../web/js/room/e2ee/policy.js';

const person = (id, extra = {}) => ({ id, name: `Naam ${id}`, presence: 'admitted', reconnecting: false, e2ee_key: `key-${id}`, ...extra });
const ids = (list) => list.map((p) => p.id).sort();

test('a room is encrypted when everyone seated has a key; who cannot is named', () => {
  assert.deepEqual(roomMode([person('a'), person('b')]), { encrypted: true, without: [] });
  const mode = roomMode([person('a'), person('g', { e2ee_key: null }), person('b')]);
  assert.equal(mode.encrypted, false);
  assert.deepEqual(ids(mode.without), ['g']);
});

test('someone without a key in the lobby or outside does not make the room unencrypted', () => {
  const mode = roomMode([person('a'), person('l', { presence: 'lobby', e2ee_key: null }), person('c', { presence: 'out', e2ee_key: null })]);
  assert.equal(mode.encrypted, true);
});

test('the safety code is the same for the same people in any order, five groups of four digits', async () => {
  const one = await safetyCode([person('a'), person('b'), person('c')]);
  const two = await safetyCode([person('c'), person('a'), person('b')]);
  assert.match(one, /^\d{4} \d{4} \d{4} \d{4} \d{4}$/);
  assert.equal(one, two);
});

test('the safety code changes when someone comes in or a key is replaced, not for the lobby', async () => {
  const base = await safetyCode([person('a'), person('b')]);
  assert.notEqual(await safetyCode([person('a'), person('b'), person('ghost')]), base);
  assert.notEqual(await safetyCode([person('a'), person('b', { e2ee_key: 'other' })]), base);
  assert.equal(await safetyCode([person('a'), person('b'), person('l', { presence: 'lobby' })]), base);
  assert.equal(await safetyCode([]), null);
});

test('a newcomer gets our current key, and only he', () => {
  const first = keyPlan(new Map(), [person('me'), person('a')], 'me');
  assert.equal(first.rotate, false);
  assert.deepEqual(ids(first.wrapFor), ['a']);
  const second = keyPlan(first.holders, [person('me'), person('a'), person('b')], 'me');
  assert.equal(second.rotate, false);
  assert.deepEqual(ids(second.wrapFor), ['b']);
  const again = keyPlan(second.holders, [person('me'), person('a'), person('b')], 'me');
  assert.deepEqual(again.wrapFor, []);
});

test('nobody in the lobby, outside or without a key is ever given a key', () => {
  const plan = keyPlan(new Map(), [person('me'), person('l', { presence: 'lobby' }), person('c', { presence: 'out' }), person('g', { e2ee_key: null })], 'me');
  assert.deepEqual(plan.wrapFor, []);
});

for (const [why, change] of [
  ['leaves', (list) => list.filter((p) => p.id !== 'b')],
  ['is sent out for the debrief', (list) => list.map((p) => (p.id === 'b' ? { ...p, presence: 'out' } : p))],
  ['is removed or loses the seat', (list) => list.filter((p) => p.id !== 'b')],
]) {
  test(`someone who ${why} → a new key for everyone still seated, not for him`, () => {
    const room = [person('me'), person('a'), person('b'), person('c')];
    const { holders } = keyPlan(new Map(), room, 'me');
    const plan = keyPlan(holders, change(room), 'me');
    assert.equal(plan.rotate, true);
    assert.deepEqual(ids(plan.wrapFor), ['a', 'c']);
    assert.ok(!plan.holders.has('b'));
  });
}

test('a participant announcing a key whose private half is public (the P-256 base point) gets no key', () => {
  const [tapKey] = WELL_KNOWN_KEYS;
  // The base point's x coordinate, as the server's headless participants announce it.
  assert.equal(Buffer.from(tapKey, 'base64url').subarray(1, 33).toString('hex'), '6b17d1f2e12c4247f8bce6e563a440f277037d812deb33a0f4a13945d898c296');
  const plan = keyPlan(new Map(), [person('me'), person('a'), person('tap', { e2ee_key: tapKey })], 'me');
  assert.deepEqual(ids(plan.wrapFor), ['a']);
  assert.equal(roomMode([person('me'), person('tap', { e2ee_key: tapKey })]).encrypted, true, 'it still counts as able to encrypt: it sees ciphertext only');
});

test('someone reconnecting keeps his place without a rotation and gets the key again when back', () => {
  const room = [person('me'), person('a'), person('b')];
  const { holders } = keyPlan(new Map(), room, 'me');
  const away = keyPlan(holders, [person('me'), person('a'), person('b', { reconnecting: true })], 'me');
  assert.equal(away.rotate, false);
  assert.deepEqual(away.wrapFor, []);
  const back = keyPlan(away.holders, room, 'me');
  assert.equal(back.rotate, false);
  assert.deepEqual(ids(back.wrapFor), ['b']);
});

test('a participant whose key changed (a new page on the same seat) gets the current key again', () => {
  const { holders } = keyPlan(new Map(), [person('me'), person('a')], 'me');
  const plan = keyPlan(holders, [person('me'), person('a', { e2ee_key: 'new-page' })], 'me');
  assert.equal(plan.rotate, false);
  assert.deepEqual(ids(plan.wrapFor), ['a']);
});

test('the client brought back after the debrief is a newcomer: he gets the key made after he left', () => {
  const room = [person('me'), person('a'), person('client')];
  let { holders } = keyPlan(new Map(), room, 'me');
  const out = keyPlan(holders, room.filter((p) => p.id !== 'client'), 'me');
  assert.equal(out.rotate, true);
  holders = out.holders;
  const back = keyPlan(holders, room, 'me');
  assert.equal(back.rotate, false);
  assert.deepEqual(ids(back.wrapFor), ['client']);
});

test('receivers keep the newest few keys per sender and forget the older ones', () => {
  let bySender = new Map();
  const forgotten = [];
  for (let kid = 1; kid <= KEYS_KEPT_PER_SENDER + 2; kid += 1) {
    const next = keepReceiveKeys(bySender, 'a', kid);
    bySender = next.bySender;
    forgotten.push(...next.forget);
  }
  assert.deepEqual(forgotten, [1, 2]);
  assert.equal(bySender.get('a').length, KEYS_KEPT_PER_SENDER);
  assert.deepEqual(keepReceiveKeys(bySender, 'b', 9).forget, []);
});
