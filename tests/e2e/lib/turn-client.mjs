// A small TURN client (RFC 8656 over TLS, RFC 8489 long-term credentials) for asking coturn
// directly what it relays to: Allocate, then CreatePermission for a peer address. Enough to
// prove the deny rules of infra/coturn/turnserver.conf; nothing here sends media.

import { connect } from 'node:tls';
import { createHash, createHmac, randomBytes } from 'node:crypto';

const MAGIC = 0x2112a442;
const ALLOCATE = 0x0003;
const CREATE_PERMISSION = 0x0008;
const ATTR = { USERNAME: 0x0006, MESSAGE_INTEGRITY: 0x0008, ERROR_CODE: 0x0009, XOR_PEER_ADDRESS: 0x0012,
  REALM: 0x0014, NONCE: 0x0015, XOR_RELAYED_ADDRESS: 0x0016, REQUESTED_TRANSPORT: 0x0019 };

function attribute(type, value) {
  const pad = (4 - (value.length % 4)) % 4;
  const head = Buffer.alloc(4);
  head.writeUInt16BE(type, 0);
  head.writeUInt16BE(value.length, 2);
  return Buffer.concat([head, value, Buffer.alloc(pad)]);
}

/** A request of `method` with `attrs`; signed with `key` (long-term credential) when given. */
function request(method, attrs, key) {
  const id = randomBytes(12);
  let body = Buffer.concat(attrs);
  const header = (length) => {
    const b = Buffer.alloc(20);
    b.writeUInt16BE(method, 0);
    b.writeUInt16BE(length, 2);
    b.writeUInt32BE(MAGIC, 4);
    id.copy(b, 8);
    return b;
  };
  if (key) {
    // The HMAC covers the message up to the integrity attribute, with a length that counts it.
    const mac = createHmac('sha1', key).update(Buffer.concat([header(body.length + 24), body])).digest();
    body = Buffer.concat([body, attribute(ATTR.MESSAGE_INTEGRITY, mac)]);
  }
  return { id, bytes: Buffer.concat([header(body.length), body]) };
}

function parse(buf) {
  const type = buf.readUInt16BE(0);
  const attrs = new Map();
  let at = 20;
  const end = 20 + buf.readUInt16BE(2);
  while (at + 4 <= end) {
    const t = buf.readUInt16BE(at);
    const len = buf.readUInt16BE(at + 2);
    if (!attrs.has(t)) attrs.set(t, buf.subarray(at + 4, at + 4 + len));
    at += 4 + len + ((4 - (len % 4)) % 4);
  }
  const cls = ((type & 0x0100) >> 7) | ((type & 0x0010) >> 4);
  const err = attrs.get(ATTR.ERROR_CODE);
  return {
    id: buf.subarray(8, 20),
    success: cls === 2,
    code: err ? (err[2] & 7) * 100 + err[3] : cls === 2 ? 200 : null,
    reason: err ? err.subarray(4).toString('utf8') : '',
    attrs,
  };
}

function xorAddress(ip) {
  const parts = ip.split('.').map(Number);
  if (parts.length !== 4) throw new Error(`IPv4 only here: ${ip}`);
  const value = Buffer.alloc(8);
  value[1] = 0x01;
  value.writeUInt16BE(9 ^ (MAGIC >>> 16), 2);
  const addr = Buffer.from(parts);
  const magic = Buffer.alloc(4);
  magic.writeUInt32BE(MAGIC, 0);
  for (let i = 0; i < 4; i += 1) value[4 + i] = addr[i] ^ magic[i];
  return value;
}

/**
 * Opens a TLS connection to the TURN server, allocates a UDP relay with the REST credential
 * (`username`, `credential`) and returns { relayed, permit(ip) → { code, reason }, close() }.
 * `tlsOptions` are passed to tls.connect (e.g. `ca` for the test's own certificate).
 */
export async function turnSession({ host, port, username, credential, tlsOptions = {} }) {
  const socket = connect({ host, port, ...tlsOptions });
  await new Promise((ok, fail) => { socket.once('secureConnect', ok); socket.once('error', fail); });
  let pending = Buffer.alloc(0);
  const waiting = new Map();
  socket.on('data', (chunk) => {
    pending = Buffer.concat([pending, chunk]);
    while (pending.length >= 20 && pending.length >= 20 + pending.readUInt16BE(2)) {
      const size = 20 + pending.readUInt16BE(2);
      const msg = parse(pending.subarray(0, size));
      pending = pending.subarray(size);
      const key = msg.id.toString('hex');
      waiting.get(key)?.(msg);
      waiting.delete(key);
    }
  });
  const send = (req) => new Promise((ok, fail) => {
    const timer = setTimeout(() => fail(new Error('the TURN server did not answer within 5 s')), 5000);
    waiting.set(req.id.toString('hex'), (msg) => { clearTimeout(timer); ok(msg); });
    socket.write(req.bytes);
  });

  const udp = Buffer.from([17, 0, 0, 0]);
  // The first Allocate is refused with 401 and names the realm and a nonce to sign with.
  const challenge = await send(request(ALLOCATE, [attribute(ATTR.REQUESTED_TRANSPORT, udp)]));
  if (challenge.code !== 401) throw new Error(`expected 401 from an unsigned Allocate, got ${challenge.code} ${challenge.reason}`);
  const realm = challenge.attrs.get(ATTR.REALM);
  const nonce = challenge.attrs.get(ATTR.NONCE);
  const key = createHash('md5').update(`${username}:${realm.toString('utf8')}:${credential}`).digest();
  const signed = (method, attrs) => request(method, [...attrs,
    attribute(ATTR.USERNAME, Buffer.from(username)), attribute(ATTR.REALM, realm), attribute(ATTR.NONCE, nonce)], key);
  const allocated = await send(signed(ALLOCATE, [attribute(ATTR.REQUESTED_TRANSPORT, udp)]));
  if (!allocated.success) throw new Error(`Allocate refused: ${allocated.code} ${allocated.reason}`);
  return {
    relayed: Boolean(allocated.attrs.get(ATTR.XOR_RELAYED_ADDRESS)),
    permit: async (ip) => {
      const answer = await send(signed(CREATE_PERMISSION, [attribute(ATTR.XOR_PEER_ADDRESS, xorAddress(ip))]));
      return { code: answer.code, reason: answer.reason };
    },
    close: () => socket.destroy(),
  };
}

/** The TURN REST credential (what src/signalling/ice.rs hands out) for `label`. */
export function restCredential(secret, label, ttlSeconds = 600) {
  const username = `${Math.floor(Date.now() / 1000) + ttlSeconds}:${label}`;
  return { username, credential: createHmac('sha1', secret).update(username).digest('base64') };
}
