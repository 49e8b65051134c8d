// Proof that media really flows, read from the pages' own RTCPeerConnection.getStats().

import { mediaStats } from './browser.mjs';
import { until, log } from './check.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/**
 * Waits until `who`'s page decodes at least `videos` remote video streams with framesDecoded
 * growing, and receives at least `audios` audio streams with packets growing.
 */
export async function expectMediaFlowing(who, { videos = 2, audios = 2, ms = 45_000 } = {}) {
  return until(`${who.name}: ${videos} remote videos decoding and ${audios} audio streams arriving`, async () => {
    const a = await mediaStats(who.page);
    await sleep(1500);
    const b = await mediaStats(who.page);
    const grew = (before, after, field) => after.filter((s) => {
      const old = before.find((x) => x.id === s.id);
      return old && s[field] > old[field];
    });
    const v = grew(a.video, b.video, 'framesDecoded');
    const au = grew(a.audio, b.audio, 'packets');
    if (v.length >= videos && au.length >= audios) {
      const summary = { videos: v.map((s) => s.framesDecoded), audioPackets: au.map((s) => s.packets) };
      log(`${who.name}: video framesDecoded ${summary.videos.join(', ')}; audio packets ${summary.audioPackets.join(', ')}`);
      return summary;
    }
    return null;
  }, ms, 0);
}

/** Sums everything a page receives; used to show that nothing arrives while out. */
export async function receivedBytes(who) {
  const s = await mediaStats(who.page);
  return [...s.video, ...s.audio].reduce((sum, x) => sum + x.bytes, 0);
}
