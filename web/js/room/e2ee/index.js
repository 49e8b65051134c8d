// End-to-end encryption of one participant's conference (docs/e2ee.md): the page's key pair,
// our sender key and its rotation, the keys others wrapped for us, the worker that encrypts and
// decrypts every encoded frame, the room's mode and its safety code. The session feeds it every
// server message and the state after it; it sends `media_keys` itself.

import { pageKeyPair, freshSecret, wrapSecret, unwrapSecret, fromBase64url } from './keys.js';
import { roomMode, safetyCode, keyPlan, keepReceiveKeys, ROTATION_GRACE_MS } from './policy.js';

/** Most entries the server takes in one `media_keys`. */
const MAX_ENTRIES = 64;

/** Whether this browser can encrypt its media end to end (encoded transforms in a worker). */
export function e2eeSupported() {
  return typeof globalThis.RTCRtpScriptTransform === 'function';
}

export class E2ee extends EventTarget {
  /** `send(msg)` sends a signalling message. */
  constructor(send) {
    super();
    this.send = send;
    this.supported = e2eeSupported();
    this.keys = null;
    this.worker = null;
    /** Our current sender key { secret, kid } (what newcomers get) and who holds it. */
    this.current = null;
    this.holders = new Map();
    this.rotationTimer = 0;
    /** Receive KIDs per sender, oldest first, and the sender of each KID. */
    this.receiveKids = new Map();
    this.kidOwner = new Map();
    /** Wrapped keys from someone we do not know yet (their participant_joined comes later). */
    this.pending = [];
    /** encrypted: null until the room is known (the worker starts encrypted: nothing leaks). */
    this.mode = { encrypted: null, without: [] };
    this.code = null;
    this.codeSeq = 0;
    this.codeInput = null;
    this.stats = null;
    this.youId = null;
    this.out = false;
    // A browser that cannot make keys joins like one without encoded transforms: the chair decides.
    this.ready = this.supported ? this.init().catch((err) => {
      console.error('e2ee unavailable', err);
      this.supported = false;
      this.keys = null;
      this.worker = null;
    }) : Promise.resolve();
  }

  async init() {
    this.keys = await pageKeyPair();
    this.worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module', name: 'e2ee' });
    this.worker.addEventListener('message', (e) => {
      if (e.data && e.data.type === 'stats') this.stats = e.data.stats;
    });
    this.worker.addEventListener('error', (e) => console.error('e2ee worker', e.message));
    this.useSendKey(freshSecret());
    this.post({ type: 'mode', encrypted: true });
  }

  post(msg) {
    if (this.worker) this.worker.postMessage(msg);
  }

  useSendKey(key) {
    this.current = key;
    this.post({ type: 'send-key', kid: key.kid, secret: key.secret });
  }

  /** Extra fields of `join`: our public key (none when this browser cannot encrypt). */
  joinFields() {
    return this.keys ? { e2ee_key: this.keys.publicText } : {};
  }

  /** Encrypts what `sender` (of the publish connection) sends. */
  attachSender(sender, kind) {
    if (!this.worker || !sender) return;
    sender.transform = new RTCRtpScriptTransform(this.worker, { role: 'send', kind });
  }

  /** Decrypts what `receiver` (of the subscribe connection) receives. */
  attachReceiver(receiver, kind) {
    if (!this.worker || !receiver || receiver.transform) return;
    receiver.transform = new RTCRtpScriptTransform(this.worker, { role: 'recv', kind });
  }

  /** After every server message: `msg` and the state it produced. */
  update(msg, state) {
    this.youId = state.you ? state.you.id : null;
    // Between a welcome and the list of who is in (admitted) the mode stays as it was.
    const known = state.phase === 'in' && state.participants.length > 0;
    const mode = known ? roomMode(state.participants) : { encrypted: this.mode.encrypted, without: this.mode.without };
    if (mode.encrypted !== this.mode.encrypted || names(mode.without) !== names(this.mode.without)) {
      this.mode = mode;
      this.post({ type: 'mode', encrypted: mode.encrypted || !this.supported });
      this.emit();
    }
    if (!this.supported) return;
    if (msg.type === 'welcome') this.restart();
    // Also a page (re)loaded while outside: it starts out too.
    if (msg.type === 'sent_out' || (state.phase === 'out' && !this.out)) {
      // Outside for the debrief: no key of anyone's is kept, so nothing that reaches this
      // browser meanwhile can be played.
      this.out = true;
      this.receiveKids = new Map();
      this.kidOwner = new Map();
      this.pending = [];
      this.post({ type: 'forget-keys' });
      this.post({ type: 'receive', allowed: false });
    }
    if ((msg.type === 'brought_back' || msg.type === 'admitted') && this.out) {
      this.out = false;
      this.post({ type: 'receive', allowed: true });
    }
    if (msg.type === 'media_key') this.receive(msg, state);
    if (state.phase === 'in') {
      this.distribute(state);
      this.retryPending(state);
    }
    this.refreshCode(state);
  }

  /**
   * A new session (welcome): our connections are new, so everyone seated gets our current key
   * again when we are in. The keys others gave us stay (the same senders, the same keys);
   * whoever sees us as new sends theirs again.
   */
  restart() {
    this.holders = new Map();
  }

  distribute(state) {
    const plan = keyPlan(this.holders, state.participants, this.youId);
    this.holders = plan.holders;
    if (plan.rotate) {
      const next = freshSecret();
      this.current = next;
      this.wrapAndSend(next, plan.wrapFor);
      // Frames keep the old key a moment, until the others can have the new one.
      clearTimeout(this.rotationTimer);
      this.rotationTimer = setTimeout(() => {
        if (this.current === next) this.post({ type: 'send-key', kid: next.kid, secret: next.secret });
      }, ROTATION_GRACE_MS);
    } else if (plan.wrapFor.length) {
      this.wrapAndSend(this.current, plan.wrapFor);
    }
  }

  async wrapAndSend(key, recipients) {
    if (!recipients.length) return;
    const me = { keys: this.keys, id: this.youId };
    const entries = await Promise.all(recipients.map(async (p) => {
      try {
        return { to: p.id, key: await wrapSecret(key, me, { id: p.id, publicRaw: fromBase64url(p.e2ee_key) }) };
      } catch (err) {
        console.warn('e2ee: cannot wrap for', p.id, err);
        return null;
      }
    }));
    const list = entries.filter(Boolean);
    for (let i = 0; i < list.length; i += MAX_ENTRIES) this.send({ type: 'media_keys', keys: list.slice(i, i + MAX_ENTRIES) });
  }

  receive(msg, state) {
    if (this.out) return;
    const sender = state.participants.find((p) => p.id === msg.from && p.e2ee_key);
    if (!sender) {
      this.pending = [...this.pending.slice(-(MAX_ENTRIES - 1)), msg];
      return;
    }
    this.open(msg, sender);
  }

  retryPending(state) {
    if (!this.pending.length) return;
    const waiting = this.pending;
    this.pending = [];
    for (const msg of waiting) this.receive(msg, state);
  }

  async open(msg, sender) {
    try {
      const me = { keys: this.keys, id: this.youId };
      const key = await unwrapSecret(msg.key, { id: sender.id, publicRaw: fromBase64url(sender.e2ee_key) }, me);
      if (this.out) return;
      // Keys are found by KID alone: one participant cannot replace another's key.
      const owner = this.kidOwner.get(key.kid);
      if (owner && owner !== sender.id) {
        console.warn('e2ee: a key from', sender.id, 'names the KID of another sender; ignored');
        return;
      }
      this.kidOwner.set(key.kid, sender.id);
      this.post({ type: 'add-key', kid: key.kid, secret: key.secret });
      const kept = keepReceiveKeys(this.receiveKids, sender.id, key.kid);
      this.receiveKids = kept.bySender;
      for (const kid of kept.forget) this.kidOwner.delete(kid);
      if (kept.forget.length) this.post({ type: 'forget-keys', kids: kept.forget });
    } catch (err) {
      // Not for us, altered, or from a key that changed meanwhile: nothing to use.
      console.warn('e2ee: a media key from', sender.id, 'could not be opened');
    }
  }

  async refreshCode(state) {
    const input = state.phase === 'in' && this.supported ? seatedKeys(state.participants) : '';
    // Most messages (a speaker, a hand) change nobody's seat or key: nothing to hash again.
    if (input === this.codeInput) return;
    this.codeInput = input;
    const seq = ++this.codeSeq;
    const code = input ? await safetyCode(state.participants) : null;
    if (seq !== this.codeSeq || code === this.code) return;
    const before = this.code;
    this.code = code;
    this.dispatchEvent(new CustomEvent('code', { detail: { code, changed: before !== null && code !== null } }));
    this.emit();
  }

  emit() {
    this.dispatchEvent(new CustomEvent('change'));
  }

  close() {
    clearTimeout(this.rotationTimer);
    if (this.worker) this.worker.terminate();
    this.worker = null;
  }
}

/**
 * For tests and diagnosis only (docs/e2ee.md): a read-only view of this page's encryption as
 * `window.__ketentafelE2ee` — the mode, the safety code, our sender KID and the worker's
 * counters. It holds no key.
 */
export function installDiagnostics(e2ee) {
  const view = Object.freeze({
    get supported() { return e2ee.supported; },
    get encrypted() { return e2ee.mode.encrypted; },
    get without() { return e2ee.mode.without.map((p) => p.name); },
    get safetyCode() { return e2ee.code; },
    get sendKid() { return e2ee.stats ? e2ee.stats.sendKid : null; },
    get counters() { return e2ee.stats ? { ...e2ee.stats, kids: { ...e2ee.stats.kids } } : null; },
  });
  Object.defineProperty(globalThis, '__ketentafelE2ee', { value: view, configurable: true, writable: false, enumerable: false });
}

function seatedKeys(participants) {
  return participants.filter((p) => p.presence === 'admitted').map((p) => p.e2ee_key || '').sort().join('\n');
}

function names(list) {
  return list.map((p) => p.id).join(',');
}
