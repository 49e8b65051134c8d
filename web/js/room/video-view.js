// How big this page shows each other participant's video, told to the server (`video_view`,
// docs/signalling.md) so the SFU sends no bigger simulcast layer than the tile can use, and no
// video at all that nobody sees. The rules and the pacing are plain functions and a class with
// the clock passed in (tests/web/video-view.test.mjs); `ViewWatch` is the part that needs a
// browser: it notices sizes, scrolling and a hidden page.

import { systemClock } from './clock.js';

/** Most entries the server takes in one `video_view`. */
export const MAX_VIEWS = 64;
/** Changes are collected this long before they are sent (a drag of the window is one change). */
export const SETTLE_MS = 300;
/** At least this long between two messages: about twice a second at most. */
export const MIN_INTERVAL_MS = 500;

/**
 * The `views` of a `video_view` message. `tiles`: the others' tiles in the grid's order,
 * `{ id, cssHeight, inView }` (the tile's picture box; `inView`: some of it is on screen). The
 * height is in device pixels, 0 for a video that is not seen; visible tiles come first, so a
 * cut at 64 never drops one that is seen. A tile showing initials is seen: it shows the video as
 * soon as it arrives, and it only arrives when asked for.
 */
export function videoViews(tiles, { pageHidden = false, dpr = 1 } = {}) {
  const views = tiles.map((tile) => {
    const seen = !pageHidden && tile.inView;
    const height = seen ? Math.round(tile.cssHeight * dpr) : 0;
    return { participant_id: tile.id, height: Number.isFinite(height) && height > 0 ? height : 0 };
  });
  return [...views.filter((v) => v.height > 0), ...views.filter((v) => v.height === 0)].slice(0, MAX_VIEWS);
}

/** Whether two `views` lists say the same. */
export function sameViews(a, b) {
  return a.length === b.length && a.every((v, i) => v.participant_id === b[i].participant_id && v.height === b[i].height);
}

/**
 * Sends `video_view` when what the page shows changed: `changed()` after anything that may have
 * changed it, and the views are read `SETTLE_MS` later (at least `MIN_INTERVAL_MS` after the last
 * message); nothing is sent when they are what the server has. `read()` gives the views now (set
 * by the room's view, which owns the tiles); `ready()` says whether the server takes them (in the
 * room: in the lobby it would answer `out_of_order`). `reset()` after every welcome: the server
 * forgot them, so the next views go out even when they are the same.
 */
export class ViewReporter {
  constructor({ send, ready = () => true, clock = systemClock }) {
    this.send = send;
    this.ready = ready;
    this.clock = clock;
    this.read = () => [];
    /** The views the server has now (null: none since the last welcome). */
    this.sent = null;
    this.sentAt = -Infinity;
    this.timer = null;
  }

  changed() {
    if (this.timer !== null) return;
    const now = this.clock.now();
    const at = Math.max(now + SETTLE_MS, this.sentAt + MIN_INTERVAL_MS);
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.flush();
    }, at - now);
  }

  flush() {
    if (!this.ready()) return;
    const views = this.read();
    if (this.sent && sameViews(views, this.sent)) return;
    // Not connected: the server has nothing new, and the next welcome resets anyway.
    if (this.send({ type: 'video_view', views }) === false) return;
    this.sent = views;
    this.sentAt = this.clock.now();
  }

  reset() {
    this.sent = null;
    this.changed();
  }

  dispose() {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}

/**
 * Watches the others' picture boxes (`.tile-media`): a change of size (ResizeObserver), of being scrolled
 * into or out of view (IntersectionObserver; it also sees the stage's own scrolling) and the
 * page being hidden or shown call `onChange`. Heights are read when asked, not cached, so a
 * message never carries a size from before the last layout.
 */
export class ViewWatch {
  constructor(onChange) {
    this.onChange = onChange;
    /** Element → on screen, from the last intersection report (unknown counts as on screen). */
    this.inView = new WeakMap();
    this.resize = typeof ResizeObserver === 'function' ? new ResizeObserver(() => onChange()) : null;
    this.intersect = typeof IntersectionObserver === 'function' ? new IntersectionObserver((entries) => {
      for (const entry of entries) this.inView.set(entry.target, entry.isIntersecting);
      onChange();
    }) : null;
    this.onVisibility = () => onChange();
    document.addEventListener('visibilitychange', this.onVisibility);
  }

  observe(el) {
    this.resize?.observe(el);
    this.intersect?.observe(el);
  }

  unobserve(el) {
    this.resize?.unobserve(el);
    this.intersect?.unobserve(el);
  }

  /** `{ cssHeight, inView }` of an element, for `videoViews`. */
  seen(el) {
    return { cssHeight: el.getBoundingClientRect ? el.getBoundingClientRect().height : 0, inView: this.inView.get(el) ?? true };
  }

  pageHidden() {
    return document.visibilityState === 'hidden';
  }

  dispose() {
    this.resize?.disconnect();
    this.intersect?.disconnect();
    document.removeEventListener('visibilitychange', this.onVisibility);
  }
}
