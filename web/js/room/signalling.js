// The WebSocket of docs/signalling.md, with the reconnect a weak prison network needs. A
// WebSocket has no timeout of its own, so the link is watched: the server sends a `ping` every
// second, and a connection that hears nothing for a few seconds is taken for dead. While the
// link is down (no answer at all) the join is tried again every second, so the participant is
// back within moments of the network returning (the server keeps the seat: same participant,
// no lobby); only when the server answers and closes again do the pauses grow.

/** Silence after which an open connection is taken for dead (the server pings every second). */
const DEAD_AFTER_MS = 4500;
/** The same when the media connection already reports the network gone (ICE `disconnected`). */
const SUSPECT_DEAD_AFTER_MS = 2000;
/**
 * The same while media still arrives (packets received within `MEDIA_FRESH_MS`): a link that
 * just got worse, not one that is gone. On a 500 kbit/s link that 3 Mbit/s of video suddenly
 * met, the queue dropped most of what crossed it for a second or two and TCP's retransmission
 * timer backed off: the WebSocket went silent for over 4.5 s while the audio kept coming, and
 * taking it for dead sent the participant through a rejoin (the `weak` e2e story). The server
 * waits as long (docs/signalling.md).
 */
const DEAD_WITH_MEDIA_MS = 10000;
/** Media received this recently counts as arriving (the figures are read every second). */
const MEDIA_FRESH_MS = 3000;
/** A connection attempt that is not open by then is given up and made again. */
const CONNECT_TIMEOUT_MS = 1500;
/** Pause between attempts while nothing answers (network down, server restarting). */
const RETRY_MS = 1000;
/** Growing pauses, up to this, when the server accepts and then closes the connection. */
const MAX_BACKOFF_MS = 16000;
/** Pause before connecting again when asked to (`reconnectNow`). */
const RECONNECT_MS = 500;
/** How often the link is checked. */
const WATCH_MS = 250;
/** A check this much later than planned finds a page that stood still, not a silent link. */
const STALL_MS = 1000;

/**
 * Whether an open link is dead, judged at a check at `now`: silent longer than `deadAfter` (or
 * `DEAD_WITH_MEDIA_MS` while media arrived at `mediaAt` or later), as seen by a check that came
 * on time. A check that comes late finds a page that stood still (a long task, a busy or
 * suspended machine): the messages of that time are still queued behind it, so its silence
 * means nothing yet; the next check, after they had their turn, judges.
 */
export function linkDead({ heardAt, checkedAt, deadAfter, mediaAt = null }, now) {
  if (now - checkedAt - WATCH_MS > STALL_MS) return false;
  const mediaArrives = mediaAt != null && now - mediaAt <= MEDIA_FRESH_MS;
  return now - heardAt > (mediaArrives ? Math.max(deadAfter, DEAD_WITH_MEDIA_MS) : deadAfter);
}

export class Signalling extends EventTarget {
  constructor(meetingId) {
    super();
    this.meetingId = meetingId;
    this.ws = null;
    /** Connections in a row that the server closed soon after accepting them. */
    this.attempt = 0;
    this.closed = false;
    this.timer = 0;
    this.connectTimer = 0;
    this.status = 'connecting';
    this.heardAt = 0;
    this.deadAfter = DEAD_AFTER_MS;
    /** When media was last seen arriving (`mediaArrived`), or null. */
    this.mediaAt = null;
    this.checkedAt = Date.now();
    this.everOpen = false;
    /** Extra fields of `join` (the end-to-end encryption key, see e2ee/index.js). */
    this.joinFields = () => ({});
    this.watch = setInterval(() => this.checkLink(), WATCH_MS);
  }

  /** Opens the connection (and keeps it open until `close()` or a final message). */
  connect() {
    this.closed = false;
    clearTimeout(this.timer);
    clearTimeout(this.connectTimer);
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}/ws`);
    this.ws = ws;
    let opened = false;
    this.setStatus(this.everOpen ? 'reconnecting' : 'connecting');
    // Nothing answers (the network is down): give this attempt up and try again soon.
    this.connectTimer = setTimeout(() => {
      if (this.ws === ws && !opened) this.drop(ws, RETRY_MS);
    }, CONNECT_TIMEOUT_MS);
    ws.addEventListener('open', () => {
      if (this.ws !== ws) return;
      opened = true;
      this.everOpen = true;
      clearTimeout(this.connectTimer);
      this.heard();
      this.setStatus('open');
      this.send({ type: 'join', v: 1, meeting_id: this.meetingId, ...this.joinFields() });
      this.dispatchEvent(new CustomEvent('open'));
    });
    ws.addEventListener('message', (event) => {
      if (this.ws !== ws) return;
      this.heard();
      let msg;
      try { msg = JSON.parse(event.data); } catch { return; }
      if (msg.type === 'welcome') this.attempt = 0;
      if (msg.type === 'ping') return;
      this.dispatchEvent(new CustomEvent('message', { detail: msg }));
    });
    ws.addEventListener('close', () => {
      if (this.ws !== ws) return;
      clearTimeout(this.connectTimer);
      this.ws = null;
      if (this.closed) return this.setStatus('closed');
      this.setLost();
      if (opened) {
        // The server answered and closed: back off, growing pauses.
        const delay = Math.min(MAX_BACKOFF_MS, 1000 * 2 ** this.attempt) + Math.random() * 250;
        this.attempt += 1;
        this.schedule(delay);
      } else {
        this.schedule(RETRY_MS);
      }
    });
  }

  heard() {
    this.heardAt = Date.now();
    this.deadAfter = DEAD_AFTER_MS;
  }

  /** An open connection that has been silent too long is dead: drop it and connect again. */
  checkLink() {
    const now = Date.now();
    const dead = linkDead(this, now);
    this.checkedAt = now;
    const ws = this.ws;
    if (this.closed || !ws || ws.readyState !== WebSocket.OPEN) return;
    if (dead) this.drop(ws, 0);
  }

  /** Media arrived (packets received since the last look): the network is there. */
  mediaArrived(at = Date.now()) {
    this.mediaAt = at;
  }

  /** The media says the network is gone: take the link for dead sooner unless it speaks. */
  suspect() {
    this.deadAfter = Math.min(this.deadAfter, SUSPECT_DEAD_AFTER_MS);
  }

  drop(ws, delay) {
    if (this.ws !== ws) return;
    this.ws = null;
    clearTimeout(this.connectTimer);
    try { ws.close(); } catch { /* already closing */ }
    if (this.closed) return;
    this.setLost();
    this.schedule(delay);
  }

  schedule(delay) {
    clearTimeout(this.timer);
    this.timer = setTimeout(() => { if (!this.closed) this.connect(); }, delay);
  }

  /** Drops the current socket and connects again shortly (e.g. media failed for good; the
   *  caller paces repeated calls, see quality.js `shouldRetry`). */
  reconnectNow() {
    if (this.closed) return;
    if (this.ws) this.drop(this.ws, RECONNECT_MS);
    else this.schedule(RECONNECT_MS);
  }

  /** An open connection is lost; attempts that fail after it keep saying "reconnecting". */
  setLost() {
    if (this.status === 'open') this.setStatus('lost');
  }

  setStatus(status) {
    if (this.status === status) return;
    this.status = status;
    this.dispatchEvent(new CustomEvent('status', { detail: status }));
  }

  /** Sends one message; returns false when not connected (the caller's state stays as it was). */
  send(msg) {
    if (!this.ws || this.ws.readyState !== WebSocket.OPEN) return false;
    this.ws.send(JSON.stringify(msg));
    return true;
  }

  /** Closes for good: no reconnect. */
  close({ leave = false } = {}) {
    this.closed = true;
    clearTimeout(this.timer);
    clearTimeout(this.connectTimer);
    clearInterval(this.watch);
    if (this.ws) {
      if (leave) this.send({ type: 'leave' });
      this.ws.close();
    }
    this.ws = null;
  }
}
