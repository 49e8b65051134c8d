// What screen-reader users hear when the server pauses or resumes someone's video for our weak
// link (`video_state`, docs/signalling.md). The tiles show it at once; the spoken word waits
// until the changes settle and then says only what changed on balance, so a link that goes
// up and down is not a stream of announcements (tests/web/paused.test.mjs).

import { t } from '../i18n.js';
import { systemClock } from './clock.js';

/** Changes are said after they have stood this long. */
export const SETTLE_MS = 1500;
/** At least this long between two announcements. */
export const MIN_GAP_MS = 10_000;

/**
 * The words for going from `before` to `after` (lists of participant ids whose video is
 * paused), or null when nothing is worth saying. `nameOf(id)`: a name, or null for someone no
 * longer here (their video did not come back: they left). `plain`: the client's words.
 */
export function pauseMessage(before, after, nameOf, plain = false) {
  const p = plain ? 'client.room.' : 'room.';
  const here = (id) => nameOf(id) != null;
  const paused = after.filter((id) => !before.includes(id) && here(id));
  const resumed = before.filter((id) => !after.includes(id) && here(id));
  const parts = [];
  if (paused.length === 1) parts.push(t(`${p}video_paused`, { name: nameOf(paused[0]) }));
  if (paused.length > 1) parts.push(t(`${p}video_paused_many`, { count: paused.length }));
  if (resumed.length === 1) parts.push(t(`${p}video_resumed`, { name: nameOf(resumed[0]) }));
  if (resumed.length > 1) parts.push(t(`${p}video_resumed_many`, { count: resumed.length }));
  return parts.length ? parts.join(' ') : null;
}

/** Calls `say(text)` (ui/notice.js `announce`: a polite live region) as described above. */
export class PauseAnnouncer {
  constructor(say, { plain = false, clock = systemClock } = {}) {
    this.say = say;
    this.plain = plain;
    this.clock = clock;
    /** What was last said to be paused, and what is paused now. */
    this.announced = [];
    this.current = [];
    this.nameOf = () => null;
    this.saidAt = -Infinity;
    this.timer = null;
  }

  /** After every render: who is paused now, and their names. */
  update(paused, nameOf) {
    this.current = paused;
    this.nameOf = nameOf;
    if (this.timer !== null || sameSet(paused, this.announced)) return;
    const now = this.clock.now();
    const at = Math.max(now + SETTLE_MS, this.saidAt + MIN_GAP_MS);
    this.timer = this.clock.setTimeout(() => {
      this.timer = null;
      this.speak();
    }, at - now);
  }

  speak() {
    const text = pauseMessage(this.announced, this.current, this.nameOf, this.plain);
    this.announced = this.current;
    if (!text) return;
    this.say(text);
    this.saidAt = this.clock.now();
  }

  dispose() {
    if (this.timer !== null) this.clock.clearTimeout(this.timer);
    this.timer = null;
  }
}

function sameSet(a, b) {
  return a.length === b.length && a.every((id) => b.includes(id));
}
