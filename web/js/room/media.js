// The two peer connections of docs/signalling.md: *publish* (we offer, send-only camera and
// microphone) and *subscribe* (the server offers everyone else's media, we answer). Each side
// offers on one connection only, so offers never collide. Remote tracks are matched to people
// by the `tracks` list of the latest subscribe offer (mid → participant), with the stream id
// (which is the participant id too) as a fallback.

import { transportPolicy, browserRelayForced } from './relay.js';
import { addVideoTransceiver, loneLayerParameters } from './layers.js';

export class Media extends EventTarget {
  /** `send(msg)` sends a signalling message; `e2ee` (e2ee/index.js) encrypts every frame. */
  constructor(send, e2ee = null) {
    super();
    this.send = send;
    this.e2ee = e2ee;
    this.publish = null;
    this.subscribe = null;
    this.iceServers = [];
    this.policy = 'all';
    this.tracks = [];
    /** Remote track id → media stream id (the participant id), the fallback for matching. */
    this.streamOf = new Map();
    // Each connection's messages are handled strictly in order (an ICE candidate must never
    // overtake the description it belongs to); the two connections do not wait for each other.
    this.queues = { publish: Promise.resolve(), subscribe: Promise.resolve() };
  }

  /** Starts a fresh session (after every welcome): old connections are closed first. */
  /** `cameraOff`: the camera is switched off but may come on: keep a place for its track. */
  /** `relayOnly`: the deployment says relay only (see relay.js). */
  start(iceServers, stream, { cameraOff = false, relayOnly = false } = {}) {
    this.close();
    this.iceServers = iceServers || [];
    this.policy = transportPolicy(relayOnly, browserRelayForced());
    if (stream && (stream.getTracks().length || cameraOff)) this.enqueue('publish', () => this.startPublish(stream, cameraOff));
  }

  /**
   * Publishes once the camera and microphone are there, when they were not at `start` (someone
   * pressed "join" before the browser had given them): without this he would send nothing.
   */
  publishLate(stream, cameraOff = false) {
    if (!stream || !(stream.getTracks().length || cameraOff)) return;
    this.enqueue('publish', async () => {
      if (!this.publish) await this.startPublish(stream, cameraOff);
    });
  }

  enqueue(pc, job) {
    this.queues[pc] = this.queues[pc].then(job).catch((err) => {
      console.error('media', err);
      this.dispatchEvent(new CustomEvent('failed', { detail: err }));
    });
    return this.queues[pc];
  }

  newPc(kind) {
    const pc = new RTCPeerConnection({ iceServers: this.iceServers, iceTransportPolicy: this.policy, bundlePolicy: 'max-bundle' });
    pc.addEventListener('icecandidate', (event) => {
      this.send({ type: 'ice_candidate', pc: kind, candidate: event.candidate ? event.candidate.toJSON() : null });
    });
    pc.addEventListener('connectionstatechange', () => {
      this.dispatchEvent(new CustomEvent('connection', { detail: { pc: kind, state: pc.connectionState } }));
    });
    return pc;
  }

  async startPublish(stream, cameraOff) {
    const pc = this.newPc('publish');
    this.publish = pc;
    // The camera in simulcast layers (layers.js); one encoded transform per sender takes the
    // frames of every layer, each with its own frame counter.
    const init = { direction: 'sendonly', streams: [stream] };
    for (const track of stream.getTracks()) {
      const tr = track.kind === 'video' ? addVideoTransceiver(pc, track, init) : pc.addTransceiver(track, init);
      if (this.e2ee) this.e2ee.attachSender(tr.sender, track.kind);
    }
    // A camera that is off sends nothing, but its transceiver is there for when it comes on
    // (`replaceTrack`, no renegotiation); its frames are encrypted like any other.
    if (cameraOff && !stream.getVideoTracks().length) {
      const tr = addVideoTransceiver(pc, 'video', init);
      if (this.e2ee) this.e2ee.attachSender(tr.sender, 'video');
    }
    const offer = await pc.createOffer();
    await pc.setLocalDescription(offer);
    this.send({ type: 'publish_offer', sdp: pc.localDescription.sdp });
  }

  /** An answer without simulcast left the camera its smallest layer: send the full picture. */
  async widenLoneLayer(pc) {
    for (const tr of pc.getTransceivers()) {
      if (tr.receiver.track.kind !== 'video') continue;
      const next = loneLayerParameters(tr.sender.getParameters());
      if (next) await tr.sender.setParameters(next).catch((err) => console.warn('video layer', err));
    }
  }

  /** Feeds a server message that concerns media; returns true when it did. */
  handle(msg) {
    switch (msg.type) {
      case 'publish_answer':
        this.enqueue('publish', async () => {
          if (!this.publish) return;
          await this.publish.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
          await this.widenLoneLayer(this.publish);
        });
        return true;
      case 'subscribe_offer':
        this.enqueue('subscribe', () => this.answerSubscribe(msg));
        return true;
      case 'ice_candidate':
        if (msg.pc !== 'publish' && msg.pc !== 'subscribe') return true;
        this.enqueue(msg.pc, async () => {
          const pc = msg.pc === 'publish' ? this.publish : this.subscribe;
          if (!pc || !pc.remoteDescription) return;
          // A candidate the browser cannot use is not a reason to give up the connection.
          await pc.addIceCandidate(msg.candidate || undefined).catch((err) => console.warn('ice candidate', err));
        });
        return true;
      default:
        return false;
    }
  }

  async answerSubscribe(msg) {
    if (!this.subscribe) {
      this.subscribe = this.newPc('subscribe');
      this.subscribe.addEventListener('track', (event) => {
        // Before the first frame: every received frame goes through the decrypting worker.
        if (this.e2ee) this.e2ee.attachReceiver(event.receiver, event.track.kind);
        if (event.streams[0]) this.streamOf.set(event.track.id, event.streams[0].id);
        this.emitRemote();
      });
    }
    this.tracks = msg.tracks || [];
    await this.subscribe.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
    const answer = await this.subscribe.createAnswer();
    await this.subscribe.setLocalDescription(answer);
    this.send({ type: 'subscribe_answer', sdp: this.subscribe.localDescription.sdp });
    this.emitRemote();
  }

  /**
   * Who sends what now: Map participant id → { audio, video } tracks. Transceivers the last
   * offer no longer lists (someone left, the client was sent out) are ignored.
   */
  remoteTracks() {
    const out = new Map();
    if (!this.subscribe) return out;
    for (const tr of this.subscribe.getTransceivers()) {
      if (!tr.mid || tr.currentDirection === 'inactive' || tr.currentDirection === 'stopped') continue;
      const listed = this.tracks.find((x) => x.mid === tr.mid);
      const owner = listed ? listed.participant_id : null;
      if (!owner) continue;
      const entry = out.get(owner) || {};
      entry[tr.receiver.track.kind] = tr.receiver.track;
      out.set(owner, entry);
    }
    return out;
  }

  emitRemote() {
    this.dispatchEvent(new CustomEvent('remote', { detail: this.remoteTracks() }));
  }

  /** Swaps the camera or microphone without renegotiating. */
  async replaceTrack(kind, track) {
    if (!this.publish) return;
    const sender = this.publish.getSenders().find((s) => s.track && s.track.kind === kind)
      || this.publish.getTransceivers().find((tr) => tr.receiver.track.kind === kind)?.sender;
    if (sender) await sender.replaceTrack(track);
  }

  close() {
    for (const pc of [this.publish, this.subscribe]) if (pc) pc.close();
    this.publish = null;
    this.subscribe = null;
    this.tracks = [];
    this.queues = { publish: Promise.resolve(), subscribe: Promise.resolve() };
    this.emitRemote();
  }
}
