// One participant's conference session: the signalling socket, the two peer connections and
// the state they produce, with reconnection when the network drops. Views listen for
// 'change' and render from `session.state`; they never talk to the socket themselves.

import { Signalling } from './signalling.js';
import { Media } from './media.js';
import { initialState, reduce, FINAL_PHASES, others, isLockedOut } from './state.js';
import { localMedia, setMuted, hasTrack, setCamera } from './devices.js';
import { tracker, stepInbound, stepOutbound, combine, shouldRetry, readReport } from './quality.js';
import { E2ee, installDiagnostics } from './e2ee/index.js';
import { ViewReporter } from './video-view.js';

/** How often the connection figures are read. */
const STATS_INTERVAL_MS = 1000;

export class RoomSession extends EventTarget {
  constructor(meetingId) {
    super();
    this.meetingId = meetingId;
    this.state = initialState();
    this.connection = 'connecting';
    this.remote = new Map();
    this.signalling = new Signalling(meetingId);
    this.e2ee = new E2ee((msg) => this.signalling.send(msg));
    this.e2ee.addEventListener('change', () => this.emit());
    installDiagnostics(this.e2ee);
    this.signalling.joinFields = () => this.e2ee.joinFields();
    this.media = new Media((msg) => this.signalling.send(msg), this.e2ee);
    /** How big we show the others' videos, for the server (`video_view`); the view reads the tiles. */
    this.videoViews = new ViewReporter({ send: (msg) => this.signalling.send(msg), ready: () => this.state.phase === 'in' });
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
      // ICE lost the other side: if the signalling link is silent too, the network is gone.
      if (e.detail.state === 'disconnected') this.signalling.suspect();
    });
    this.media.addEventListener('failed', () => {
      if (!FINAL_PHASES.includes(this.state.phase)) this.signalling.reconnectNow();
    });
    this.onOffline = () => { this.connection = 'lost'; this.emit(); };
    window.addEventListener('offline', this.onOffline);
    /** Per other participant: { audio, video, level } from the last figures. */
    this.quality = new Map();
    /** Own sending side: 'connecting' | 'good' | 'poor' | 'lost' | 'off'. */
    this.ownQuality = 'connecting';
    this.trackers = new Map();
    this.ownTracker = tracker(Date.now());
    this.lostSince = null;
    this.retry = { attempt: 0, lastAt: null };
    this.statsTimer = setInterval(() => this.sampleStats().catch((err) => console.warn('stats', err)), STATS_INTERVAL_MS);
  }

  /** Connects once the page's encryption key is made (it goes with `join`). */
  start() {
    this.e2ee.ready.then(() => {
      if (!this.closed) this.signalling.connect();
    });
  }

  onMessage(msg) {
    const before = this.state;
    this.state = reduce(this.state, msg);
    this.e2ee.update(msg, this.state);
    if (msg.type === 'welcome') {
      const local = localMedia();
      // A chair's mute holds across rejoins: the microphone stays off until allowed.
      if (isLockedOut(this.state)) setMuted('audio', true);
      this.media.start(this.state.iceServers, local.stream, { cameraOff: local.cameraStopped, relayOnly: this.state.relayOnly });
      this.sendMute();
      // "Join" pressed before the browser gave the camera and microphone: publish when it does.
      this.welcomed = msg;
      if (local.acquiring) {
        local.acquiring.then(() => {
          if (this.welcomed !== msg || FINAL_PHASES.includes(this.state.phase)) return;
          const now = localMedia();
          this.media.publishLate(now.stream, now.cameraStopped);
          this.sendMute();
          this.emit();
        });
      }
      // The server forgot what we told it: the next views go out even when they are the same.
      this.videoViews.reset();
      this.trackers.clear();
      this.quality = new Map();
      this.ownTracker = tracker(Date.now());
      this.ownQuality = 'connecting';
    } else {
      this.media.handle(msg);
    }
    if (msg.type === 'sent_out') this.remote = new Map();
    if (msg.type === 'admitted' || msg.type === 'brought_back') this.videoViews.changed();
    if (msg.type === 'force_muted') setMuted('audio', true);
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

  /** Microphone or camera on/off. Camera off stops the camera; a locked microphone stays off. */
  async toggle(kind) {
    if (!hasTrack(kind)) return;
    const turnOn = localMedia().muted[kind];
    if (kind === 'audio' && turnOn && isLockedOut(this.state)) {
      this.dispatchEvent(new CustomEvent('locked'));
      return;
    }
    if (kind === 'video') {
      try {
        const track = await setCamera(turnOn);
        if (!turnOn) {
          // The camera has stopped: the others are told now, not after the sender lets go of
          // the track (replaceTrack waits for any negotiation in progress), so their view
          // never takes a camera that is off for a connection that is lost.
          this.sendMute();
          this.emit();
        }
        await this.media.replaceTrack('video', track);
      } catch (err) {
        console.warn('camera', err);
        this.dispatchEvent(new CustomEvent('camera-failed'));
      }
    } else {
      setMuted(kind, !turnOn);
    }
    this.sendMute();
    this.emit();
  }

  raiseHand(raised) {
    this.send({ type: 'raise_hand', raised });
  }

  /**
   * Reads the connection figures of both peer connections and judges every other participant's
   * audio and video, and our own sending (quality.js). When our own media stays lost, the
   * client reconnects by itself, with growing pauses.
   */
  async sampleStats() {
    const s = this.state;
    if (s.phase !== 'in') return;
    const now = Date.now();
    const sub = this.media.subscribe;
    const pub = this.media.publish;
    const [subReport, pubReport] = await Promise.all([
      sub ? sub.getStats().catch(() => null) : null,
      pub ? pub.getStats().catch(() => null) : null]);
    const inbound = subReport ? readReport(subReport) : { inbound: new Map(), rttMs: null };
    // Media still arriving keeps a silent signalling link from being taken for dead.
    let packets = 0;
    for (const sample of inbound.inbound.values()) packets += sample.packets;
    // (A new connection counts from zero again: any change is an arrival.)
    if (packets > 0 && packets !== this.inboundPackets) this.signalling.mediaArrived(now);
    this.inboundPackets = packets;
    const quality = new Map();
    for (const p of others(s)) {
      const prev = this.trackers.get(p.id) || { audio: tracker(now), video: tracker(now) };
      const next = {};
      for (const kind of ['audio', 'video']) {
        const listed = this.media.tracks.find((tr) => tr.participant_id === p.id && tr.kind === kind);
        const sample = listed ? inbound.inbound.get(String(listed.mid)) || null : null;
        const expected = kind === 'audio' ? !p.audio_muted : !p.video_muted;
        next[kind] = stepInbound(prev[kind], sample, { now, rttMs: inbound.rttMs, expected });
      }
      this.trackers.set(p.id, next);
      quality.set(p.id, { audio: next.audio.level, video: next.video.level, level: combine([next.audio.level, next.video.level]) });
    }
    for (const id of this.trackers.keys()) if (!quality.has(id)) this.trackers.delete(id);

    const own = pubReport ? readReport(pubReport) : { outbound: {}, rttMs: null };
    const sent = Object.values(own.outbound);
    const sample = sent.length ? {
      bytes: sent.reduce((sum, o) => sum + o.bytes, 0),
      fractionLost: Math.max(0, ...sent.map((o) => o.fractionLost || 0)),
    } : null;
    const local = localMedia();
    // A muted microphone still sends (silence); a camera that is off sends nothing.
    const expected = Boolean(pub) && (hasTrack('audio') || (hasTrack('video') && !local.cameraStopped));
    const state = pub ? pub.connectionState : sub ? sub.connectionState : 'new';
    this.ownTracker = stepOutbound(this.ownTracker, sample, { now, rttMs: own.rttMs ?? inbound.rttMs, state, expected });
    const ownLevel = navigator.onLine === false ? 'lost' : this.ownTracker.level;
    const changed = ownLevel !== this.ownQuality || !sameQuality(quality, this.quality);
    this.quality = quality;
    this.ownQuality = ownLevel;
    if (ownLevel === 'lost') {
      if (this.lostSince == null) this.lostSince = now;
      if (shouldRetry({ level: ownLevel, lostSince: this.lostSince, retry: this.retry, now })) {
        this.retry = { attempt: this.retry.lastAt == null ? 0 : this.retry.attempt + 1, lastAt: now };
        this.dispatchEvent(new CustomEvent('retry', { detail: this.retry.attempt }));
        this.signalling.reconnectNow();
      }
    } else {
      this.lostSince = null;
      if (ownLevel === 'good') this.retry = { attempt: 0, lastAt: null };
    }
    if (changed) this.emit();
  }

  async replaceTrack(kind, track) {
    await this.media.replaceTrack(kind, track);
  }

  leave() {
    this.close({ leave: true });
  }

  close({ leave = false } = {}) {
    this.closed = true;
    this.e2ee.close();
    window.removeEventListener('offline', this.onOffline);
    clearInterval(this.statsTimer);
    this.videoViews.dispose();
    this.signalling.close({ leave });
    this.media.close();
  }
}

function sameQuality(a, b) {
  if (a.size !== b.size) return false;
  for (const [id, q] of a) {
    const other = b.get(id);
    if (!other || other.audio !== q.audio || other.video !== q.video) return false;
  }
  return true;
}
