// One participant's conference session: the signalling socket, the two peer connections and
// the state they produce, with reconnection when the network drops. Views listen for
// 'change' and render from `session.state`; they never talk to the socket themselves.

import { Signalling } from './signalling.js';
import { Media } from './media.js';
import { initialState, reduce, FINAL_PHASES } from './state.js';
import { localMedia, setMuted, hasTrack } from './devices.js';

export class RoomSession extends EventTarget {
  constructor(meetingId) {
    super();
    this.meetingId = meetingId;
    this.state = initialState();
    this.connection = 'connecting';
    this.remote = new Map();
    this.signalling = new Signalling(meetingId);
    this.media = new Media((msg) => this.signalling.send(msg));
    this.signalling.addEventListener('message', (e) => this.onMessage(e.detail));
    this.signalling.addEventListener('status', (e) => {
      this.connection = e.detail;
      this.emit();
    });
    this.media.addEventListener('remote', (e) => {
      this.remote = e.detail;
      this.emit();
    });
    this.media.addEventListener('connection', (e) => {
      // A peer connection that failed for good is rebuilt by joining again: the server lets
      // an admitted participant straight back in and both connections start afresh.
      if (e.detail.state === 'failed' && !FINAL_PHASES.includes(this.state.phase)) this.signalling.reconnectNow();
    });
    this.media.addEventListener('failed', () => {
      if (!FINAL_PHASES.includes(this.state.phase)) this.signalling.reconnectNow();
    });
    this.onOffline = () => { this.connection = 'lost'; this.emit(); };
    window.addEventListener('offline', this.onOffline);
  }

  start() {
    this.signalling.connect();
  }

  onMessage(msg) {
    const before = this.state;
    this.state = reduce(this.state, msg);
    if (msg.type === 'welcome') {
      const local = localMedia();
      this.media.start(this.state.iceServers, local.stream);
      this.sendMute();
    } else {
      this.media.handle(msg);
    }
    if (msg.type === 'sent_out') this.remote = new Map();
    if (FINAL_PHASES.includes(this.state.phase) && !FINAL_PHASES.includes(before.phase)) {
      this.signalling.close();
      this.media.close();
    }
    this.dispatchEvent(new CustomEvent('message', { detail: msg }));
    this.emit();
  }

  emit() {
    this.dispatchEvent(new CustomEvent('change'));
  }

  send(msg) {
    return this.signalling.send(msg);
  }

  /** Tells everyone our microphone and camera state (a missing device counts as muted). */
  sendMute() {
    const local = localMedia();
    this.send({
      type: 'mute',
      audio: !hasTrack('audio') || local.muted.audio,
      video: !hasTrack('video') || local.muted.video,
    });
  }

  toggle(kind) {
    if (!hasTrack(kind)) return;
    setMuted(kind, !localMedia().muted[kind]);
    this.sendMute();
    this.emit();
  }

  raiseHand(raised) {
    this.send({ type: 'raise_hand', raised });
  }

  async replaceTrack(kind, track) {
    await this.media.replaceTrack(kind, track);
  }

  leave() {
    this.close({ leave: true });
  }

  close({ leave = false } = {}) {
    window.removeEventListener('offline', this.onOffline);
    this.signalling.close({ leave });
    this.media.close();
  }
}
