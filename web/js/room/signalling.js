// The WebSocket of docs/signalling.md, with the reconnect a weak prison network needs: a lost
// connection is announced, retried with growing pauses, and the join is sent again (the
// server lets an admitted participant straight back in).

const MAX_BACKOFF_MS = 8000;

export class Signalling extends EventTarget {
  constructor(meetingId) {
    super();
    this.meetingId = meetingId;
    this.ws = null;
    this.attempt = 0;
    this.closed = false;
    this.timer = 0;
    this.status = 'connecting';
  }

  /** Opens the connection (and keeps it open until `close()` or a final message). */
  connect() {
    this.closed = false;
    const scheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
    const ws = new WebSocket(`${scheme}//${location.host}/ws`);
    this.ws = ws;
    this.setStatus(this.attempt ? 'reconnecting' : 'connecting');
    ws.addEventListener('open', () => {
      this.attempt = 0;
      this.setStatus('open');
      this.send({ type: 'join', v: 1, meeting_id: this.meetingId });
      this.dispatchEvent(new CustomEvent('open'));
    });
    ws.addEventListener('message', (event) => {
      let msg;
      try { msg = JSON.parse(event.data); } catch { return; }
      this.dispatchEvent(new CustomEvent('message', { detail: msg }));
    });
    ws.addEventListener('close', () => {
      if (this.ws !== ws) return;
      this.ws = null;
      if (this.closed) return this.setStatus('closed');
      this.setStatus('lost');
      this.scheduleRetry();
    });
  }

  scheduleRetry() {
    clearTimeout(this.timer);
    const delay = Math.min(MAX_BACKOFF_MS, 500 * 2 ** this.attempt) + Math.random() * 250;
    this.attempt += 1;
    this.timer = setTimeout(() => { if (!this.closed) this.connect(); }, delay);
  }

  /** Drops the current socket and connects again at once (e.g. media failed for good). */
  reconnectNow() {
    if (this.closed) return;
    const ws = this.ws;
    this.ws = null;
    if (ws) ws.close();
    this.setStatus('lost');
    this.attempt = 0;
    this.scheduleRetry();
  }

  setStatus(status) {
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
    if (this.ws) {
      if (leave) this.send({ type: 'leave' });
      this.ws.close();
    }
    this.ws = null;
  }
}
