// A weak link (issue 13): one guest's Chromium in a network namespace of its own, behind a
// bottleneck of 500 kbit/s with 5 % loss and 75 ms each way (150 ms round trip), in a
// conference of four. This machine's kernel has no netem or tbf, so the bottleneck is made in
// user space: `lib/shaper.py` bridges the router namespace's two interfaces and shapes what
// crosses (docs/testing.md). What must hold:
// - her incoming video keeps moving at the lower layer (the SFU's estimate of her link): some
//   participant's at two thirds or more of the frames its publisher encodes at that layer (the
//   issue's 10 of the lowest layer's 15 a second; beside four browsers on two cores an encoder
//   may make fewer);
// - her audio stays whole: under 5 % of each stream's samples concealed;
// - the three others still receive each other at the full layer (within 10 s: see below);
// - when the shaping is lifted she is back at the full layer within 15 s;
// - with only her uplink weak, the others still receive her audio whole.
// Figures (concealment, frame rates, freezes, layers, times) go to weak.json and
// docs/performance.md ("Behind the weak link, with audio redundancy").
//
// Needs root (network namespaces) and ethtool; without root the story says why and skips.
// In the default list of run.mjs since 2026-12-05: the final code passed 13 runs of 13 that
// night, and 28 of 30 runs passed since the last picture runs on while the path keeps up with
// it (docs/performance.md, "Behind the weak link: the picture kept, the climb held no more").
// A link that loses 5 % at random gives each run its own sample of losses, and every window
// measured is a sample of it: a run that fails is played once more, from scratch (a fresh
// server, browsers and link), and the story fails when that one fails too. A failed run's
// figures and error are kept (weak-attempt-1.json), the last run's in weak.json.
// Run it alone with E2E_STORIES=weak node tests/e2e/run.mjs.

import { spawn } from 'node:child_process';
import { writeFileSync, chmodSync } from 'node:fs';
import { join, dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launch, person, CHROMIUM } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { screens } from './lib/screens.mjs';
import { step, until, assert, log } from './lib/check.mjs';
import { expectMediaFlowing } from './lib/media.mjs';
import { scheduleConference } from './lib/schedule.mjs';
import { sh, inNs, guestBehindRouter, removeGuestNetwork } from './lib/netns.mjs';
import { writeVoice } from './lib/voice.mjs';

const NS = 'ktweak';
const ROUTER = 'ktweakrouter';
const HOST_IF = 'ktweak-h';
const ROUTER_HOST_IF = 'ktweak-rh';
const ROUTER_NS_IF = 'ktweak-rn';
const NS_IF = 'ktweak-n';
/** One Ethernet segment across the router (bridged by the shaper): no routes to set. */
const HOST_IP = '10.77.38.1';
const NS_IP = '10.77.38.2';
const WEAK = 'Wim Wouters';
const OTHER = 'Olga Oostra';
/** The issue's weak link; WEAK_LOSS and WEAK_KBIT change it to look into what the estimate reads. */
const LINK = { rate_kbit: Number(process.env.WEAK_KBIT || 500), loss: Number(process.env.WEAK_LOSS ?? 5), delay_ms: 75 };
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const LINKS = { ns: NS, router: ROUTER, hostIf: HOST_IF, routerHostIf: ROUTER_HOST_IF, routerNsIf: ROUTER_NS_IF, nsIf: NS_IF };
const teardown = () => removeGuestNetwork(LINKS);

/** The guest's namespace behind a router namespace whose two ports the shaper bridges. */
function network() {
  const skip = guestBehindRouter(LINKS);
  if (skip) return { skip };
  sh('ip', 'addr', 'add', `${HOST_IP}/24`, 'dev', HOST_IF);
  sh('ip', 'link', 'set', HOST_IF, 'up');
  // No addresses and no forwarding on the router: frames cross only through the shaper, which
  // sees every frame on both ports (promiscuous).
  for (const dev of [ROUTER_HOST_IF, ROUTER_NS_IF]) {
    inNs(ROUTER, 'ip', 'link', 'set', dev, 'promisc', 'on');
    inNs(ROUTER, 'ip', 'link', 'set', dev, 'up');
  }
  inNs(NS, 'ip', 'addr', 'add', `${NS_IP}/24`, 'dev', NS_IF);
  inNs(NS, 'ip', 'link', 'set', NS_IF, 'up');
  inNs(NS, 'ip', 'link', 'set', 'lo', 'up');
  // Frames as a real link carries them: at most the MTU, their checksums filled in. A veth's
  // offloads would hand the shaper 64 KB frames it cannot send on (lib/shaper.py).
  const offloads = ['tx', 'off', 'tso', 'off', 'gso', 'off', 'gro', 'off'];
  sh('ethtool', '-K', HOST_IF, ...offloads);
  inNs(NS, 'ethtool', '-K', NS_IF, ...offloads);
  for (const dev of [ROUTER_HOST_IF, ROUTER_NS_IF]) inNs(ROUTER, 'ethtool', '-K', dev, ...offloads);
  return { skip: null };
}

/** The shaper between the two router ports; `set(setting)` changes the shaping. */
async function startShaper() {
  const script = join(dirname(fileURLToPath(import.meta.url)), 'lib', 'shaper.py');
  // At real-time priority: on two cores beside four browsers and the server, a shaper that is
  // put aside for tens of milliseconds releases its frames in bursts, which no real link does
  // and which every delay-based estimate reads as a queue.
  const child = spawn('ip', ['netns', 'exec', ROUTER, 'chrt', '-f', '50', 'python3', script, ROUTER_NS_IF, ROUTER_HOST_IF], { stdio: ['pipe', 'pipe', 'pipe'] });
  let said = '';
  const waiters = [];
  let stats = null;
  child.stdout.on('data', (d) => {
    said += d;
    const lines = said.split('\n');
    said = lines.pop();
    for (const line of lines) {
      if (line.startsWith('stats ')) stats = JSON.parse(line.slice(6));
      else if (line === 'ok' || line === 'ready') waiters.shift()?.(line);
    }
  });
  let errors = '';
  child.stderr.on('data', (d) => { errors += d; });
  const next = () => new Promise((resolve, reject) => {
    waiters.push(resolve);
    setTimeout(() => reject(new Error(`the shaper did not answer: ${errors}`)), 5000);
  });
  await next();
  return {
    async set(setting) {
      const answered = next();
      child.stdin.write(`${JSON.stringify(setting)}\n`);
      await answered;
    },
    stats: () => stats,
    stop: () => child.kill(),
  };
}

/**
 * `who`'s getStats entries of `type` at the start and at the end of `ms` (by id), the seconds
 * between, the participant id whose tile shows each remote track (by track id), and `who`'s own.
 */
function statsOver(who, type, ms) {
  return who.page.evaluate(async ({ type, ms }) => {
    const read = async () => {
      const out = {};
      for (const pc of window.__pcs || []) {
        if (pc.connectionState === 'closed') continue;
        for (const s of (await pc.getStats()).values()) {
          if (s.type === type) out[s.id] = { ...s };
        }
      }
      return out;
    };
    const before = await read();
    const t0 = performance.now();
    await new Promise((r) => setTimeout(r, ms));
    const after = await read();
    const seconds = (performance.now() - t0) / 1000;
    const tiles = {};
    for (const tile of document.querySelectorAll('.tile')) {
      const track = tile.querySelector('video')?.srcObject?.getVideoTracks()[0];
      if (track) tiles[track.id] = tile.dataset.participantId;
    }
    const self = document.querySelector('.tile video.mirrored')?.closest('.tile')?.dataset.participantId || null;
    return { before, after, seconds, tiles, self };
  }, { type, ms });
}

/** The streams both readings of `statsOver` hold, each with `delta(key)`: how much it grew. */
const deltas = ({ before, after }) => Object.entries(after)
  .filter(([id]) => before[id])
  .map(([id, s]) => ({ s, delta: (key) => (s[key] || 0) - (before[id][key] || 0) }));

/**
 * What `who`'s page receives over `ms`: per remote stream, decoded frames per second, frame
 * height and whose video it is (video), and the concealed share of the audio samples (audio).
 */
async function receiving(who, ms) {
  const stats = await statsOver(who, 'inbound-rtp', ms);
  const video = [];
  const audio = [];
  for (const { s, delta } of deltas(stats)) {
    if (s.kind === 'video' && delta('framesDecoded') > 0) {
      video.push({ from: stats.tiles[s.trackIdentifier] || null, fps: delta('framesDecoded') / stats.seconds, height: s.frameHeight || 0, freezes: delta('freezeCount'), frozen_s: delta('totalFreezesDuration'), plis: delta('pliCount'), nacks: delta('nackCount'), lost: delta('packetsLost') });
    }
    if (s.kind === 'audio' && delta('totalSamplesReceived') > 0) {
      audio.push({ concealed: delta('concealedSamples') / delta('totalSamplesReceived'), packetsLost: delta('packetsLost') });
    }
  }
  return { video, audio };
}

/**
 * What `who`'s page encodes over `ms`: its participant id, and per layer of its camera (by rid)
 * the frames encoded per second and their height.
 */
async function sending(who, ms) {
  const stats = await statsOver(who, 'outbound-rtp', ms);
  const layers = {};
  for (const { s, delta } of deltas(stats)) {
    if (s.kind === 'video') layers[s.rid || 'only'] = { fps: delta('framesEncoded') / stats.seconds, height: s.frameHeight || 0 };
  }
  return { id: stats.self, layers };
}

/**
 * The frames `video` (one of `receiving`'s) is encoded at by its publisher, of the `sent` (the
 * publishers' `sending` over the same window): the layer of the height she decodes. Null when
 * its publisher or that layer is not among them.
 */
function encodedFor(video, sent) {
  const layers = Object.values(sent.find((p) => p.id === video.from)?.layers || {});
  return layers.find((l) => l.height === video.height)?.fps ?? null;
}

const round = (x, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const summary = (r) => `video ${r.video.map((v) => `${v.height}p@${round(v.fps)}`).join(', ') || 'none'}; audio concealed ${r.audio.map((a) => `${round(100 * a.concealed)} %`).join(', ') || 'none'}`;
/** What went wrong with each video meanwhile: freezes (and how long), keyframe requests, NACKs, packets lost. */
const troubles = (r) => r.video.map((v) => `${v.height}p: ${v.freezes} freezes (${round(v.frozen_s)} s), ${v.plis} PLI, ${v.nacks} NACK, ${v.lost} lost`).join('; ');

/**
 * Her video keeps moving when she decodes this share of the frames its publisher encodes at the
 * layer she gets: the issue's 10 of the lowest layer's 15 frames a second.
 */
const KEEPS_MOVING = 10 / 15;

/** How many times the story is played before it fails (see the top of this file). */
const ATTEMPTS = 2;

export async function weakStory({ artifacts, shots, results }) {
  for (let attempt = 1; ; attempt += 1) {
    // The pages of a failed run are not the story's problems: only the run that counts is.
    const people = [];
    try {
      await weakAttempt({ artifacts, shots, results, people, attempt });
      results.people.push(...people);
      return;
    } catch (err) {
      const record = { attempt, error: String(err.message || err), figures: results.weak };
      writeFileSync(join(artifacts, `weak-attempt-${attempt}.json`), JSON.stringify(record, null, 2));
      if (attempt === ATTEMPTS) {
        results.people.push(...people);
        throw err;
      }
      log(`⚠ weak: run ${attempt} failed (${err.message || err}); the link's losses are random, so once more from scratch`);
    }
  }
}

/** One run of the story (none where no namespace can be made: it says why). */
async function weakAttempt({ artifacts, shots, results, people, attempt }) {
  const net = network();
  if (net.skip) {
    log(`⚠ weak-link story skipped: ${net.skip}`);
    results.weak = { skipped: net.skip };
    return;
  }
  const figures = { measured_at: new Date().toISOString(), link: LINK, attempt };
  results.weak = figures;
  let server;
  let shaper;
  let hostBrowser;
  let nsBrowser;
  try {
    shaper = await startShaper();
    // The estimate chooses the layers only with --adapt-to-link (docs/media.md, "Simulcast").
    server = await startServer(artifacts, { name: attempt === 1 ? 'weak-server' : `weak-server-${attempt}`, host: HOST_IP, env: { KETENTAFEL_ADAPT_TO_LINK: 'true' } });
    const base = server.base;
    log(`weak: server at ${base}; ${WEAK}'s browser in namespace ${NS} (${NS_IP}) behind the shaper`);
    // Everyone speaks without pauses: the concealed share of a listener's audio is then that
    // of speech, which the encoders protect, not of silence (lib/voice.mjs).
    const voice = join(artifacts, 'voice.wav');
    writeVoice(voice);
    const secure = [`--unsafely-treat-insecure-origin-as-secure=${base}`, `--use-file-for-fake-audio-capture=${voice}`];
    const wrapper = join(artifacts, 'chromium-in-weak-netns.sh');
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${NS} ${CHROMIUM} "$@"\n`);
    chmodSync(wrapper, 0o755);
    hostBrowser = await launch({ args: secure });
    nsBrowser = await launch({ executablePath: wrapper, args: secure });
    const chair = await person(hostBrowser, 'weak chair', base);
    const weak = await person(nsBrowser, 'weak guest (shaped link)', base);
    const other = await person(hostBrowser, 'weak second guest', base);
    const client = await person(hostBrowser, 'weak client', base);
    people.push(chair, weak, other, client);
    const { login } = screens({ results, shots });

    await step('weak: four join a conference, one of them behind a link of her own; media flows', async () => {
      await chair.page.goto(`${base}/`);
      await chair.page.waitForSelector('input[name=email]');
      await login(chair, 'casemanager@pi-dordrecht.example');
      await chair.page.waitForSelector('.cases-table');
      const { meetingId, links } = await scheduleConference(chair.page, { purpose: 'Beraad over een zwakke verbinding', jitterMinutes: 600, invites: {
        weak: { kind: 'guest', name: WEAK, organisation: 'Humanitas' },
        other: { kind: 'guest', name: OTHER, organisation: 'Leger des Heils' },
        client: { kind: 'client' },
      } });
      const cameraReady = (who) => who.page.waitForFunction(() => document.querySelector('.preview-video')?.videoWidth > 0, null, { timeout: 30_000 });
      await chair.page.goto(`${base}/meetings/${meetingId}/room`);
      await cameraReady(chair);
      await chair.page.click('.prejoin-form button[type=submit]');
      await chair.page.waitForSelector('.room[data-phase="in"]');
      for (const [who, link] of [[weak, links.weak], [other, links.other]]) {
        await who.page.goto(link);
        await who.page.check('input[name=confidentiality]');
        await cameraReady(who);
        await who.page.click('.prejoin-form button[type=submit]');
        await who.page.waitForSelector('.room[data-phase="lobby"]');
      }
      await client.page.goto(links.client);
      await cameraReady(client);
      await client.page.click('.prejoin-form button[type=submit]');
      await client.page.waitForSelector('.client-room[data-phase="lobby"]');
      for (const name of [WEAK, OTHER]) await chair.page.click(`button[aria-label="${name} toelaten"]`);
      // The client by elimination: the guests' entries may still be in the list a moment
      // after they were let in, and a click on one of those let nobody in.
      await chair.page.click(`.chair-panel li.waiting button[aria-label$="toelaten"]:not([aria-label^="${WEAK}"]):not([aria-label^="${OTHER}"])`);
      for (const who of [weak, other]) await who.page.waitForSelector('.room[data-phase="in"]');
      await client.page.waitForSelector('.client-room[data-phase="in"]');
      await Promise.all([chair, weak, other, client].map((who) => expectMediaFlowing(who, { videos: 3, audios: 3, ms: 90_000 })));
    });

    const full = await step('weak: on an unshaped link she decodes the three others at the full picture', async () => {
      const heights = await until('three videos at one height, the highest', async () => {
        const r = await receiving(weak, 1500);
        log(`weak: unshaped, she receives ${summary(r)}`);
        const h = r.video.map((v) => v.height);
        return h.length === 3 && h.every((x) => x === 480) ? h : null;
      }, 30_000, 0);
      return heights[0];
    });

    await step(`weak: her link down to ${LINK.rate_kbit} kbit/s, ${LINK.loss} % loss, ${2 * LINK.delay_ms} ms round trip: her video keeps moving at a lower layer, her audio arrives, the others keep the full picture`, async () => {
      await shaper.set({ down: LINK, up: LINK });
      const shapedAt = Date.now();
      // Her estimate falls, the allocation drops layers, the layers switch at keyframes.
      const lower = await until('she receives a lower layer or fewer videos', async () => {
        const r = await receiving(weak, 2000);
        log(`weak: shaped ${Math.round((Date.now() - shapedAt) / 1000)} s, she receives ${summary(r)}`);
        return r.video.length && r.video.every((v) => v.height < full) ? r : null;
      }, 30_000, 0);
      figures.lower_layer_after_ms = Date.now() - shapedAt;
      await sleep(5000);
      // What she decodes, and what each of the others encodes meanwhile: on two cores beside
      // four browsers an encoder may make fewer frames than its layer allows.
      const [settled, ...sent] = await Promise.all([receiving(weak, 10_000), ...[chair, other, client].map((who) => sending(who, 10_000))]);
      for (const v of settled.video) v.encoded_fps = encodedFor(v, sent);
      log(`weak: settled, over 10 s she receives ${summary(settled)}; ${troubles(settled)}; encoded at ${settled.video.map((v) => (v.encoded_fps === null ? '?' : round(v.encoded_fps))).join(', ')} frames a second`);
      figures.shaped = settled;
      figures.sent = sent;
      figures.shaper = shaper.stats();
      assert(lower.video.length > 0, 'she still receives video');
      assert(settled.video.every((v) => v.encoded_fps !== null), `each video she decodes is matched to its publisher's layer (${JSON.stringify(settled.video)}; ${JSON.stringify(sent)})`);
      assert(settled.video.some((v) => v.fps >= KEEPS_MOVING * v.encoded_fps), `some participant's video keeps moving for her: she decodes at least ${KEEPS_MOVING.toFixed(2)} of the frames its layer is encoded at (${summary(settled)})`);
      assert(settled.audio.length >= 3, `she receives the others' audio (${settled.audio.length} streams)`);
      assert(settled.audio.every((a) => a.concealed < 0.05), `her audio stays whole: under 5 % of each stream's samples concealed (${summary(settled)})`);
      // Their estimates follow their own links, which her weak one does not touch; but on two
      // cores beside four browsers, a browser put aside for a moment delays its feedback, which
      // reads as a queue, and a picture may drop for a few seconds. What must hold is that they
      // are at the full picture, not held below it by her link: so within 10 s.
      for (const who of [chair, other]) {
        await until(`${who.name} still receives the two others on good links at the full picture`, async () => {
          const r = await receiving(who, 3000);
          log(`weak: meanwhile ${who.name} receives ${summary(r)}`);
          return r.video.filter((v) => v.height === full).length >= 2;
        }, 10_000, 0);
      }
    });

    await step('weak: the shaping is lifted: she is back at the full picture within 15 s', async () => {
      await shaper.set({});
      const liftedAt = Date.now();
      await until('she decodes the three others at the full picture again', async () => {
        const r = await receiving(weak, 1500);
        log(`weak: lifted ${Math.round((Date.now() - liftedAt) / 1000)} s, she receives ${summary(r)}`);
        return r.video.length === 3 && r.video.every((v) => v.height === full);
      }, 15_000, 0);
      figures.full_again_after_ms = Date.now() - liftedAt;
      log(`weak: back at the full picture after ${figures.full_again_after_ms} ms`);
    });

    await step('weak: only her uplink weak: the others still receive her audio', async () => {
      await shaper.set({ up: LINK });
      await sleep(8000);
      const weakId = await chair.page.evaluate((n) => [...document.querySelectorAll('.tile')].find((t) => t.querySelector('.tile-name')?.textContent === n)?.dataset.participantId, WEAK);
      const r = await receiving(chair, 10_000);
      log(`weak: uplink shaped, the chair receives ${summary(r)} (her id ${weakId})`);
      figures.uplink_shaped_chair = r;
      assert(r.audio.length >= 3, `the chair receives three audio streams, hers among them (${r.audio.length})`);
      assert(r.audio.every((a) => a.concealed < 0.05), `the chair receives each audio whole, hers too: under 5 % concealed (${summary(r)})`);
      await shaper.set({});
    });
  } finally {
    writeFileSync(join(artifacts, 'weak.json'), JSON.stringify(figures, null, 2));
    await nsBrowser?.close().catch(() => {});
    await hostBrowser?.close().catch(() => {});
    await server?.stop();
    shaper?.stop();
    teardown();
  }
}
