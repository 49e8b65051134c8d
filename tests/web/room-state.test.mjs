// The conference room's view of the signalling conversation, as a user would notice it.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { initialState, reduce, ownerOfMid, isChair, others } from '../../web/js/room/state.js';

const person = (id, extra = {}) => ({
  id, name: id, organisation: null, role: 'partner', kind: 'member', chair: false,
  presence: 'admitted', audio_muted: false, video_muted: false, hand_raised: false, ...extra,
});
const run = (...msgs) => msgs.reduce(reduce, initialState());
const welcome = (you) => ({ type: 'welcome', v: 1, you, meeting: { id: 'm', purpose: 'p', scheduled_at: '2026-01-01T10:00:00Z', status: 'live' }, ice_servers: [{ urls: ['stun:x'] }] });

test('a guest who joins waits in the lobby until admitted', () => {
  const s = run(welcome(person('g', { presence: 'lobby', kind: 'guest' })), { type: 'lobby' });
  assert.equal(s.phase, 'lobby');
  const t = reduce(s, { type: 'admitted', participants: [person('c', { chair: true }), person('g', { kind: 'guest' })] });
  assert.equal(t.phase, 'in');
  assert.deepEqual(others(t).map((p) => p.id), ['c']);
});

test('a chair enters directly and sees who waits', () => {
  const s = run(welcome(person('c', { chair: true })), { type: 'admitted', participants: [person('c', { chair: true })] },
    { type: 'lobby_changed', waiting: [person('g', { presence: 'lobby' })] });
  assert.equal(s.phase, 'in');
  assert.ok(isChair(s));
  assert.equal(s.waiting.length, 1);
});

test('tracks of the latest subscribe offer name who each stream belongs to', () => {
  const s = run(welcome(person('a')), { type: 'subscribe_offer', sdp: 'v=0', tracks: [{ mid: '0', participant_id: 'b', kind: 'audio' }, { mid: '1', participant_id: 'b', kind: 'video' }] });
  assert.equal(ownerOfMid(s, '1'), 'b');
  assert.equal(ownerOfMid(s, '7'), null);
});

test('someone leaving disappears with their tracks and their speaking light', () => {
  const s = run(welcome(person('a')), { type: 'admitted', participants: [person('a'), person('b')] },
    { type: 'subscribe_offer', sdp: 'v=0', tracks: [{ mid: '0', participant_id: 'b', kind: 'audio' }] },
    { type: 'active_speaker', participant_id: 'b' },
    { type: 'participant_left', participant_id: 'b', reason: 'left' });
  assert.deepEqual(s.participants.map((p) => p.id), ['a']);
  assert.equal(s.speaker, null);
  assert.equal(s.tracks.length, 0);
});

test('the client sent out sees nobody and comes back in when brought back', () => {
  const s = run(welcome(person('k', { kind: 'client' })), { type: 'admitted', participants: [person('c'), person('k', { kind: 'client' })] }, { type: 'sent_out' });
  assert.equal(s.phase, 'out');
  assert.equal(s.participants.length, 0);
  const back = reduce(reduce(s, { type: 'brought_back' }), { type: 'admitted', participants: [person('c'), person('k', { kind: 'client' })] });
  assert.equal(back.phase, 'in');
  assert.equal(back.participants.length, 2);
});

test('own mute state follows the server and the order of tiles stays stable', () => {
  const s = run(welcome(person('a')), { type: 'admitted', participants: [person('a'), person('b'), person('c')] },
    { type: 'participant_updated', participant: person('a', { audio_muted: true }) },
    { type: 'participant_updated', participant: person('b', { hand_raised: true }) });
  assert.equal(s.you.audio_muted, true);
  assert.deepEqual(s.participants.map((p) => p.id), ['a', 'b', 'c']);
  assert.equal(s.participants[1].hand_raised, true);
});

test('the end, a denial and a removal are final; an error changes nothing else', () => {
  assert.equal(run({ type: 'meeting_ended', reason: 'finalised' }).phase, 'ended');
  assert.equal(run({ type: 'denied' }).phase, 'denied');
  assert.equal(run({ type: 'removed' }).phase, 'removed');
  const s = run(welcome(person('a')), { type: 'error', code: 'forbidden', message: 'no' });
  assert.equal(s.lastError.code, 'forbidden');
  assert.equal(s.phase, 'in');
});

test('a minutes change bumps the version the panel reloads on', () => {
  const s = run({ type: 'minutes_changed', event: { what: 'domain_written', domain: 'housing' } });
  assert.equal(s.minutesVersion, 1);
  assert.equal(s.minutesEvent.domain, 'housing');
});

test('the chair sees that the client is out until he joins again', () => {
  const s = run(welcome(person('c', { chair: true })), { type: 'admitted', participants: [person('c', { chair: true }), person('k', { kind: 'client' })] },
    { type: 'participant_left', participant_id: 'k', reason: 'sent_out' });
  assert.equal(s.clientOut, true);
  const back = reduce(s, { type: 'participant_joined', participant: person('k', { kind: 'client' }) });
  assert.equal(back.clientOut, false);
  assert.equal(back.participants.length, 2);
});

test('someone admitted leaves the lobby list even when the server sends no new list', () => {
  const s = run(welcome(person('c', { chair: true })), { type: 'admitted', participants: [person('c', { chair: true })] },
    { type: 'lobby_changed', waiting: [person('g', { presence: 'lobby' })] },
    { type: 'participant_joined', participant: person('g') });
  assert.equal(s.waiting.length, 0);
});

test('the hand queue keeps the server order and tells you your place', async () => {
  const { handQueue, myHandPlace } = await import('../../web/js/room/state.js');
  const s = run(welcome(person('a')), { type: 'admitted', participants: [person('a'), person('b'), person('c')] },
    { type: 'hand_queue', queue: ['c', 'a'] });
  assert.deepEqual(handQueue(s).map((p) => p.id), ['c', 'a']);
  assert.equal(myHandPlace(s), 2);
  const t = reduce(s, { type: 'participant_left', participant_id: 'c', reason: 'left' });
  assert.deepEqual(t.hands, ['a']);
  assert.equal(myHandPlace(t), 1);
});

test('a mute request disappears once you are muted, and is not shown when you already are', () => {
  let s = run(welcome(person('a')), { type: 'admitted', participants: [person('a')] }, { type: 'mute_requested', kind: 'audio' });
  assert.equal(s.muteRequested, 'audio');
  s = reduce(s, { type: 'participant_updated', participant: person('a', { audio_muted: true }) });
  assert.equal(s.muteRequested, null, 'no stale banner');
  s = reduce(s, { type: 'mute_requested', kind: 'audio' });
  assert.equal(s.muteRequested, null);
  s = reduce(s, { type: 'force_muted' });
  assert.equal(s.muteRequested, null);
});

test('an enforced mute locks you until a chair allows you to speak', async () => {
  const { isLockedOut } = await import('../../web/js/room/state.js');
  let s = run(welcome(person('a')), { type: 'admitted', participants: [person('a')] },
    { type: 'force_muted' }, { type: 'participant_updated', participant: person('a', { audio_muted: true, audio_locked: true }) });
  assert.ok(isLockedOut(s));
  s = reduce(reduce(s, { type: 'speak_allowed' }), { type: 'participant_updated', participant: person('a', { audio_muted: true, audio_locked: false }) });
  assert.ok(!isLockedOut(s));
  assert.ok(s.speakAllowed);
  s = reduce(s, { type: 'participant_updated', participant: person('a', { audio_muted: false }) });
  assert.ok(!s.speakAllowed, 'the hint goes once you speak');
});

test('someone whose connection dropped keeps the tile, marked reconnecting, until back or gone', async () => {
  const { tilePeople, reconnecting } = await import('../../web/js/room/state.js');
  let s = run(welcome(person('a', { person: 'pa' })), { type: 'admitted', participants: [person('a', { person: 'pa' }), person('b', { person: 'pb' })] });
  s = reduce(s, { type: 'participant_updated', participant: person('b', { person: 'pb', reconnecting: true }) });
  assert.deepEqual(tilePeople(s).map((p) => [p.id, Boolean(p.reconnecting)]), [['a', false], ['b', true]]);
  assert.deepEqual(reconnecting(s).map((p) => p.id), ['b']);
  s = reduce(s, { type: 'participant_updated', participant: person('b', { person: 'pb' }) });
  assert.deepEqual(tilePeople(s).map((p) => [p.id, Boolean(p.reconnecting)]), [['a', false], ['b', false]], 'back in the same tile');
  s = reduce(s, { type: 'participant_updated', participant: person('b', { person: 'pb', reconnecting: true }) });
  s = reduce(s, { type: 'participant_left', participant_id: 'b', reason: 'connection_lost' });
  assert.deepEqual(tilePeople(s).map((p) => p.id), ['a'], 'after the grace period the person has left');
  assert.deepEqual(reconnecting(s), []);
});
