// One tile per person in the conference: their video (or initials when there is none), name,
// organisation and role, and the states others must notice: speaking, muted, hand raised, and
// whether their audio and video arrive (connecting, good, poor, no connection) from getStats.
// "No connection" is shown across the picture, so it is never mistaken for "camera off"; a
// video the server paused for our weak link (`video_state`) shows why instead of a frozen picture.
// A tile keeps its <video> element for its whole life, so updates never restart playback.

import { h } from '../dom.js';
import { t } from '../i18n.js';
import { roles } from '../vocabulary.js';
import { useChosenOutput } from './devices.js';
import { ViewWatch, videoViews } from './video-view.js';

function initials(name) {
  return name.split(/\s+/).filter(Boolean).slice(0, 2).map((w) => w[0].toUpperCase()).join('');
}

export class Tile {
  /** `plain`: the client's words (client-view.js). */
  constructor(participant, { self = false, youKey = 'room.you', plain = false } = {}) {
    this.id = participant.id;
    this.self = self;
    this.youKey = youKey;
    this.plain = plain;
    this.video = h('video', { class: self ? 'tile-video mirrored' : 'tile-video', autoplay: true, playsinline: true, muted: true });
    this.video.muted = true; // sound comes through the separate <audio> element below
    this.audio = self ? null : h('audio', { autoplay: true });
    if (this.audio) useChosenOutput(this.audio);
    this.avatar = h('span', { class: 'tile-avatar', 'aria-hidden': 'true' });
    this.name = h('span', { class: 'tile-name' });
    this.meta = h('span', { class: 'tile-meta' });
    this.flags = h('span', { class: 'tile-flags' });
    this.quality = h('span', { class: 'tile-quality', dataset: { quality: 'connecting' } });
    this.alert = h('span', { class: 'tile-alert', hidden: true });
    this.el = h('li', { class: 'tile', dataset: { participantId: participant.id } },
      this.media = h('div', { class: 'tile-media' }, this.video, this.avatar, this.alert, this.audio),
      h('div', { class: 'tile-label' }, this.name, this.meta, this.flags, this.quality));
    this.videoTrack = null;
    this.audioTrack = null;
    /** The tile shows their video (not initials); paused or not, its size is what we want. */
    this.showsVideo = false;
    this.update(participant, false);
  }

  /**
   * Shows the person's current state. `quality`: for others { level, audio, video }, for
   * yourself { level } (your own sending). `p.reconnecting`: their connection dropped and the
   * room holds their seat. `paused`: the server stopped sending their video to us.
   */
  update(p, speaking, quality = null, paused = false) {
    this.participant = p;
    const level = p.reconnecting ? 'lost' : quality ? quality.level : 'connecting';
    this.lost = level === 'lost';
    // No connection says more; a camera that is off has no video to pause.
    this.paused = paused && !this.lost && !p.video_muted;
    this.name.textContent = this.self ? t(this.youKey, { name: p.name }) : p.name;
    const role = roles.label(p.role);
    this.meta.textContent = p.organisation ? `${p.organisation} · ${role}` : role;
    this.avatar.textContent = initials(p.name);
    const flags = [];
    if (p.chair) flags.push(h('span', { class: 'flag', text: t('room.chair') }));
    if (p.hand_raised) flags.push(h('span', { class: 'flag flag-hand', text: `✋ ${t('room.hand_raised')}` }));
    if (p.audio_locked) flags.push(h('span', { class: 'flag flag-muted', text: t('room.muted_by_chair') }));
    else if (p.audio_muted) flags.push(h('span', { class: 'flag flag-muted', text: t('room.muted') }));
    if (p.video_muted && !this.lost) flags.push(h('span', { class: 'flag', text: t('room.camera_off') }));
    if (speaking && !p.audio_muted) flags.push(h('span', { class: 'flag flag-speaking', text: t('room.speaking') }));
    this.flags.replaceChildren(...flags);
    // Your own tile tells your own network; the others' what arrives of theirs.
    const qualityText = level === 'off' ? '' : t(`room.quality.${this.self ? 'own.' : ''}${level}`);
    this.quality.textContent = qualityText;
    this.quality.dataset.quality = level;
    this.quality.hidden = !qualityText;
    this.alert.hidden = !this.lost && !this.paused;
    this.alert.dataset.kind = this.paused ? 'paused' : 'lost';
    this.alert.textContent = this.paused ? t(`${this.plain ? 'client.room.' : 'room.'}video_paused`, { name: p.name })
      : !this.lost ? ''
        : this.self ? t('room.quality.own.lost')
          : t(p.reconnecting ? 'room.reconnect.other' : 'room.no_connection');
    this.el.dataset.reconnecting = String(Boolean(p.reconnecting));
    this.el.classList.toggle('lost', this.lost);
    this.el.dataset.quality = level;
    // Which stream made the level (read by the e2e test when it fails).
    this.el.dataset.audio = quality?.audio || '';
    this.el.dataset.video = quality?.video || '';
    this.el.classList.toggle('speaking', Boolean(speaking && !p.audio_muted));
    this.el.classList.toggle('hand', p.hand_raised);
    this.el.setAttribute('aria-label', [this.name.textContent, this.meta.textContent,
      ...flags.map((f) => f.textContent), qualityText, this.paused ? this.alert.textContent : ''].filter(Boolean).join(', '));
    this.showVideo();
  }

  /** Attaches the person's media (remote tracks, or the local stream for yourself). */
  setTracks({ audio = null, video = null } = {}) {
    if (video !== this.videoTrack) {
      this.videoTrack = video;
      this.video.srcObject = video ? new MediaStream([video]) : null;
    }
    if (this.audio && audio !== this.audioTrack) {
      this.audioTrack = audio;
      this.audio.srcObject = audio ? new MediaStream([audio]) : null;
      if (audio) this.audio.play().catch(() => {});
    }
    this.showVideo();
  }

  showVideo() {
    this.showsVideo = Boolean(this.videoTrack) && !this.lost && !(this.participant && this.participant.video_muted);
    this.el.classList.toggle('no-video', !this.showsVideo);
    this.el.classList.toggle('paused', this.paused);
  }

  remove() {
    this.video.srcObject = null;
    if (this.audio) this.audio.srcObject = null;
    this.el.remove();
  }
}

/**
 * The grid of tiles, kept in step with the list of participants. `onViewChange`: called when
 * how big the others' videos are shown may have changed (see `views()`).
 */
export class TileGrid {
  constructor(label, { youKey = 'room.you', plain = false, onViewChange = null } = {}) {
    this.youKey = youKey;
    this.plain = plain;
    this.el = h('ul', { class: 'tile-grid', 'aria-label': label });
    this.tiles = new Map();
    this.onViewChange = onViewChange;
    this.watch = onViewChange ? new ViewWatch(onViewChange) : null;
    /** Which others' tiles show video, as last seen by `sync`. */
    this.viewKey = '';
  }

  /**
   * `quality`: Map id → quality of the others; `own`: your own sending level; `paused`: ids
   * of those whose video the server paused for us.
   */
  sync(participants, youId, speaker, remote, localStream, quality = new Map(), own = 'connecting', paused = []) {
    const seen = new Set();
    for (const p of participants) {
      seen.add(p.id);
      let tile = this.tiles.get(p.id);
      if (!tile) {
        tile = new Tile(p, { self: p.id === youId, youKey: this.youKey, plain: this.plain });
        this.tiles.set(p.id, tile);
        // Only new tiles are appended: moving a playing <video> around the DOM could pause it.
        this.el.append(tile.el);
        if (!tile.self) this.watch?.observe(tile.media);
      }
      tile.update(p, speaker === p.id, p.id === youId ? { level: own } : quality.get(p.id) || null, paused.includes(p.id));
      if (p.reconnecting) {
        tile.setTracks({});
      } else if (p.id === youId) {
        tile.setTracks({ video: localStream ? localStream.getVideoTracks()[0] || null : null });
      } else {
        tile.setTracks(remote.get(p.id) || {});
      }
    }
    for (const [id, tile] of this.tiles) {
      if (!seen.has(id)) {
        this.watch?.unobserve(tile.media);
        tile.remove();
        this.tiles.delete(id);
      }
    }
    this.el.dataset.count = String(Math.min(participants.length, 9));
    // Tiles added or removed, a camera on or off: the sizes change without any resize.
    const viewKey = this.others().map((tile) => `${tile.id}:${tile.showsVideo}`).join(',');
    if (viewKey !== this.viewKey) {
      this.viewKey = viewKey;
      this.onViewChange?.();
    }
  }

  others() {
    return [...this.tiles.values()].filter((tile) => !tile.self);
  }

  /** The `views` of a `video_view` message: how big each other's video is shown now. */
  views() {
    if (!this.watch) return [];
    // The tile's picture box, not the video element: a tile that shows initials because no
    // video arrives (a connection that came back, a layer not yet there) must still ask for
    // its video, or it would never get any.
    const tiles = this.others().map((tile) => ({ id: tile.id, ...this.watch.seen(tile.media) }));
    return videoViews(tiles, { pageHidden: this.watch.pageHidden(), dpr: globalThis.devicePixelRatio || 1 });
  }

  clear() {
    for (const tile of this.tiles.values()) {
      this.watch?.unobserve(tile.media);
      tile.remove();
    }
    this.tiles.clear();
  }

  /** Clears the grid and stops watching the page; the grid is not used after. */
  dispose() {
    this.clear();
    this.watch?.dispose();
  }
}
