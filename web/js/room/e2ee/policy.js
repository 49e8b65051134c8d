// The rules of end-to-end encryption as pure functions of the participant list (docs/e2ee.md):
// whether the room is encrypted and because of whom not, the safety code, and who gets which
// of our sender keys. No WebRTC and no worker here, so the rules are unit-tested in Node.

/** How long a new sender key is announced before frames use it (receivers need it first). */
export const ROTATION_GRACE_MS = 700;
/** Receive keys kept per sender, the current one included (frames in flight after a rotation). */
export const KEYS_KEPT_PER_SENDER = 3;

/**
 * Public keys whose private key everybody knows: the P-256 base point (private key 1), which the
 * server's headless test participants announce (the SFU tap, the load harness). A key wrapped
 * for it could be opened by anyone, so none is: such a participant stays in the room and in
 * the safety code, and receives ciphertext only.
 */
export const WELL_KNOWN_KEYS = new Set(['BGsX0fLhLEJH-Lzm5WOkQPJ3A32BLeszoPShOUXYmMKWT-NC4v4af5uO5-tKfA-eFivOM1drMV7Oy7ZAaDe_UfU']);

/** Those seated in the room: presence `admitted` (someone reconnecting keeps his seat). */
export function seated(participants) {
  return participants.filter((p) => p.presence === 'admitted');
}

/**
 * { encrypted, without }: the room is encrypted when everyone seated has a key;
 * `without` names those who cannot encrypt (in the order of the list).
 */
export function roomMode(participants) {
  const without = seated(participants).filter((p) => !p.e2ee_key);
  return { encrypted: without.length === 0, without };
}

/**
 * The safety code people read aloud: SHA-256 over the sorted public keys of everyone seated
 * (joined by newlines), shown as five groups of four digits. The same list gives the same code
 * in every browser; a participant added or a key replaced changes it. Null when nobody seated
 * has a key.
 */
export async function safetyCode(participants, subtle = globalThis.crypto.subtle) {
  const keys = seated(participants).map((p) => p.e2ee_key).filter(Boolean).sort();
  if (!keys.length) return null;
  const digest = new Uint8Array(await subtle.digest('SHA-256', new TextEncoder().encode(keys.join('\n'))));
  const groups = [];
  for (let i = 0; i < 5; i += 1) {
    const v = ((digest[4 * i] << 24) | (digest[4 * i + 1] << 16) | (digest[4 * i + 2] << 8) | digest[4 * i + 3]) >>> 0;
    groups.push(String(v % 10000).padStart(4, '0'));
  }
  return groups.join(' ');
}

/**
 * Who gets our sender key now. `holders`: Map participant id → the public key it was wrapped
 * for (null: he has it, but must get it again — he was reconnecting). `participants`: the room
 * as we see it; `youId`: ourselves.
 *
 * Anyone who held our key and is no longer seated (left, removed, sent out, seat lost) →
 * `rotate`: a new key for everyone seated who can receive it. Otherwise only those who are new,
 * back from reconnecting or whose key changed get the current key. Someone reconnecting gets
 * nothing until he is back; nobody in the lobby or outside, and nobody with a well-known key,
 * ever does.
 * Returns { rotate, wrapFor (participants), holders (the next Map) }.
 */
export function keyPlan(holders, participants, youId) {
  const room = seated(participants).filter((p) => p.id !== youId);
  const inRoom = new Set(room.map((p) => p.id));
  const rotate = [...holders.keys()].some((id) => !inRoom.has(id));
  const next = new Map();
  const wrapFor = [];
  for (const p of room) {
    const had = holders.has(p.id) ? holders.get(p.id) : undefined;
    if (p.reconnecting || !p.e2ee_key || WELL_KNOWN_KEYS.has(p.e2ee_key)) {
      // Keeps his place among the holders (no rotation while he may come back), but he must be
      // given the key again when he is back: his page may be a new one.
      if (had !== undefined && !rotate) next.set(p.id, null);
      continue;
    }
    if (rotate || had !== p.e2ee_key) wrapFor.push(p);
    next.set(p.id, p.e2ee_key);
  }
  return { rotate, wrapFor, holders: next };
}

/**
 * The receive keys to keep after `kid` from `sender` arrived: per sender the newest
 * KEYS_KEPT_PER_SENDER, older ones forgotten. `bySender`: Map sender → KIDs, oldest first.
 * Returns { bySender (next), forget (KIDs to drop) }.
 */
export function keepReceiveKeys(bySender, sender, kid) {
  const list = (bySender.get(sender) || []).filter((k) => k !== kid);
  list.push(kid);
  const forget = list.splice(0, Math.max(0, list.length - KEYS_KEPT_PER_SENDER));
  const next = new Map(bySender);
  next.set(sender, list);
  return { bySender: next, forget };
}
