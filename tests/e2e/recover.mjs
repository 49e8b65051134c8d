// Dropped links and a crashed server, on a network of the story's own. The guest's Chromium
// runs in a network namespace joined to this machine by a veth pair; the server listens on the
// host's end. Cutting that link (all traffic dropped both ways with netem) for 5 s must bring
// her back into the room within 3 s of the link returning — no lobby, the same tiles, the
// minutes as they are now — while the chair saw "Verbinding herstellen…" on her tile, never her
// leaving. A cut longer than the room's seat grace period shows her as left. Then the server is
// killed (SIGKILL) and started again on the same data and port: every browser is back within
// 3 s of /healthz answering, the chair still chairs, the client is still outside, and the text
// saved just before the kill is there.
//
// Needs root (network namespaces); without it the story says why and skips.

import { writeFileSync, chmodSync } from 'node:fs';
import { join } from 'node:path';
import { launch, person, CHROMIUM } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { screens, failureShots } from './lib/screens.mjs';
import { step, until, assert, log } from './lib/check.mjs';
import { expectMediaFlowing } from './lib/media.mjs';
import { scheduleConference } from './lib/schedule.mjs';
import { sh, inNs, guestBehindRouter, removeGuestNetwork } from './lib/netns.mjs';

const NS = 'ktrecover';
/** A router between the guest's namespace and this machine: the link is cut on it, so neither
 *  the browser nor the server is the sender of a dropped packet and neither sees an error. */
const ROUTER = 'ktrecrouter';
const HOST_IF = 'ktrec-h';
const ROUTER_HOST_IF = 'ktrec-rh';
const ROUTER_NS_IF = 'ktrec-rn';
const NS_IF = 'ktrec-n';
const HOST_IP = '10.77.36.1';
const ROUTER_HOST_IP = '10.77.36.2';
const ROUTER_NS_IP = '10.77.37.1';
const NS_IP = '10.77.37.2';
const GUEST = 'Sanne Smit';
/** The seat grace period of this story's server: short, so the long cut fits in the story. */
const SEAT_GRACE_S = 6;
const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

const LINKS = { ns: NS, router: ROUTER, hostIf: HOST_IF, routerHostIf: ROUTER_HOST_IF, routerNsIf: ROUTER_NS_IF, nsIf: NS_IF };
const teardown = () => removeGuestNetwork(LINKS);

/** The guest's namespace behind a router namespace, or why they cannot be made here. */
function network() {
  const skip = guestBehindRouter(LINKS);
  if (skip) return { skip };
  sh('ip', 'addr', 'add', `${HOST_IP}/24`, 'dev', HOST_IF);
  sh('ip', 'link', 'set', HOST_IF, 'up');
  sh('ip', 'route', 'add', `${NS_IP}/32`, 'via', ROUTER_HOST_IP);
  inNs(ROUTER, 'ip', 'addr', 'add', `${ROUTER_HOST_IP}/24`, 'dev', ROUTER_HOST_IF);
  inNs(ROUTER, 'ip', 'addr', 'add', `${ROUTER_NS_IP}/24`, 'dev', ROUTER_NS_IF);
  for (const dev of [ROUTER_HOST_IF, ROUTER_NS_IF, 'lo']) inNs(ROUTER, 'ip', 'link', 'set', dev, 'up');
  inNs(ROUTER, 'sysctl', '-qw', 'net.ipv4.ip_forward=1');
  inNs(NS, 'ip', 'addr', 'add', `${NS_IP}/24`, 'dev', NS_IF);
  inNs(NS, 'ip', 'link', 'set', NS_IF, 'up');
  inNs(NS, 'ip', 'link', 'set', 'lo', 'up');
  inNs(NS, 'ip', 'route', 'add', 'default', 'via', ROUTER_NS_IP);
  return { skip: null };
}

/**
 * Every packet dropped both ways, silently, on the router (as when a line between here and the
 * server fails): `netem loss 100%` on both of its links, or where the kernel has no netem
 * (sch_netem is missing on some machines) a FIFO queue of length 0, which drops whatever is
 * forwarded into it just the same. Returns which was used.
 */
function cut() {
  const drop = (...qdisc) => {
    for (const dev of [ROUTER_HOST_IF, ROUTER_NS_IF]) inNs(ROUTER, 'tc', 'qdisc', 'add', 'dev', dev, 'root', ...qdisc);
  };
  try {
    drop('netem', 'loss', '100%');
    return 'netem loss 100% on the router';
  } catch {
    try { restore(); } catch { /* nothing was added */ }
    drop('pfifo', 'limit', '0');
    return 'pfifo limit 0 on the router (no netem in this kernel)';
  }
}

function restore() {
  for (const dev of [ROUTER_HOST_IF, ROUTER_NS_IF]) inNs(ROUTER, 'tc', 'qdisc', 'del', 'dev', dev, 'root');
}

/** What `who` shows of the tile named `name`: null when there is none. */
function tileOf(who, name) {
  return who.page.evaluate((n) => {
    const tile = [...document.querySelectorAll('.tile')].find((t) => t.querySelector('.tile-name')?.textContent === n);
    return tile ? { reconnecting: tile.dataset.reconnecting === 'true', alert: tile.querySelector('.tile-alert')?.textContent || '' } : null;
  }, name);
}

function tileNames(who) {
  return who.page.$$eval('.tile .tile-name', (els) => els.map((e) => e.textContent).sort());
}

/**
 * Video frames decoded and audio packets received on the page's open connections, from one
 * participant (`from`, their id: the subscribe connection's SDP names each stream by it) or from
 * everyone. The page rebuilds its connections after a rejoin, so counts can drop; what matters
 * is growth.
 */
function received(who, from = null) {
  return who.page.evaluate(async (participant) => {
    let frames = 0;
    let packets = 0;
    for (const pc of window.__pcs || []) {
      if (pc.connectionState !== 'connected' || !pc.remoteDescription) continue;
      const mids = new Set();
      for (const section of pc.remoteDescription.sdp.split(/\r?\nm=/).slice(1)) {
        const mid = /a=mid:(\S+)/.exec(section);
        const msid = /a=msid:(\S+)/.exec(section);
        if (mid && (!participant || (msid && msid[1] === participant))) mids.add(mid[1]);
      }
      for (const s of (await pc.getStats()).values()) {
        if (s.type !== 'inbound-rtp' || !mids.has(String(s.mid))) continue;
        if (s.kind === 'video') frames += s.framesDecoded || 0;
        if (s.kind === 'audio') packets += s.packetsReceived || 0;
      }
    }
    return { frames, packets };
  }, from);
}

/** The participant id of the tile named `name` on `who`'s page. */
function tileId(who, name) {
  return who.page.evaluate((n) => [...document.querySelectorAll('.tile')].find((t) => t.querySelector('.tile-name')?.textContent === n)?.dataset.participantId || null, name);
}

/**
 * Watches the chair's view of the guest's tile every 100 ms: what states it went through, and
 * whether it was ever missing (she "left").
 */
function watchTile(chair, name) {
  const seen = { reconnecting: false, missing: 0, alerts: new Set() };
  let on = true;
  const loop = (async () => {
    while (on) {
      const tile = await tileOf(chair, name).catch(() => undefined);
      if (tile === null) seen.missing += 1;
      if (tile && tile.reconnecting) {
        seen.reconnecting = true;
        seen.alerts.add(tile.alert);
      }
      await sleep(100);
    }
  })();
  return { seen, stop: async () => { on = false; await loop; } };
}

/**
 * Polls until `who` is in the room (`phase`) and both directions flow: the page decodes more
 * video and gets more audio than at the last poll. Returns the moment that held.
 */
async function backAt(who, { phase = 'in', selector = '.room', from, of = null }) {
  let last = null;
  return until(`${who.name} back in the room with media flowing`, async () => {
    const inRoom = await who.page.locator(`${selector}[data-phase="${phase}"]`).count();
    const now = await received(who, of);
    const grew = last && now.frames > last.frames && now.packets > last.packets;
    last = now;
    return inRoom && grew ? Date.now() : null;
  }, 30_000, 100).then((at) => at - from);
}

export async function recover({ artifacts, shots, results }) {
  const net = network();
  if (net.skip) {
    log(`⚠ recover story skipped: ${net.skip}`);
    results.recover = { skipped: net.skip };
    return;
  }
  const figures = { measured_at: new Date().toISOString(), seat_grace_s: SEAT_GRACE_S, missed: [] };
  results.recover = figures;
  /**
   * The 3 s bounds, noted as they are measured and reported once the story is through.
   * Timings are figures (docs/performance.md), not pass/fail: what fails the story is behaviour
   * (left instead of reconnecting, the lobby, a lost tile or text, media that never returns).
   */
  const bound = (what, ms) => { if (!(ms <= 3000)) figures.missed.push(`${what}: ${ms} ms, not within 3 s`); };
  let server;
  let hostBrowser;
  let nsBrowser;
  try {
    server = await startServer(artifacts, { name: 'recover-server', host: HOST_IP, env: { KETENTAFEL_SEAT_GRACE_SECONDS: String(SEAT_GRACE_S) } });
    const base = server.base;
    log(`recover: server at ${base}; the guest's browser in namespace ${NS} (${NS_IP})`);
    // Plain http on an address that is not loopback: tell Chromium to treat it as secure (camera).
    const secure = [`--unsafely-treat-insecure-origin-as-secure=${base}`];
    const wrapper = join(artifacts, 'chromium-in-netns.sh');
    writeFileSync(wrapper, `#!/bin/sh\nexec ip netns exec ${NS} ${CHROMIUM} "$@"\n`);
    chmodSync(wrapper, 0o755);
    hostBrowser = await launch({ args: secure });
    nsBrowser = await launch({ executablePath: wrapper, args: secure });
    const { scan, shot, login } = screens({ results, shots });
    const chair = await person(hostBrowser, 'recover chair', base);
    const guest = await person(nsBrowser, 'recover guest (own network)', base);
    const client = await person(hostBrowser, 'recover client', base);
    results.people.push(chair, guest, client);

    const { meetingId, links } = await step('recover: the casemanager schedules a conference and invites a guest and the client', async () => {
      await chair.page.goto(`${base}/`);
      await chair.page.waitForSelector('input[name=email]');
      await login(chair, 'casemanager@pi-dordrecht.example');
      await chair.page.waitForSelector('.cases-table');
      return scheduleConference(chair.page, { purpose: 'Beraad op een wankel netwerk', jitterMinutes: 600, invites: {
        guest: { kind: 'guest', name: GUEST, organisation: 'Humanitas' },
        client: { kind: 'client' },
      } });
    });

    /** Saves a text as the housing situation, through the API as the chair's page does. */
    const writeSituation = (text) => chair.page.evaluate(async ({ id, text }) => {
      const page = await (await fetch(`/api/meetings/${id}`)).json();
      const section = page.minutes.domains.find((d) => d.domain === 'housing');
      const res = await fetch(`/api/meetings/${id}/domains/housing`, { method: 'PUT', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ situation: text, client_wish: section.client_wish || '', notes: section.notes || '', base_revision: section.revision }) });
      if (!res.ok) throw new Error(`saving the situation: ${res.status} ${await res.text()}`);
    }, { id: meetingId, text });
    const showsSituation = (who, text) => who.page.evaluate((t) => (document.querySelector('details.domain-editor[data-domain="housing"]')?.textContent || '').includes(t), text);

    await step('recover: everyone joins; the chair admits the guest (on her own network) and the client; media flows', async () => {
      // Each joins once the camera preview runs (a join before it goes in without camera).
      const cameraReady = (who) => who.page.waitForFunction(() => document.querySelector('.preview-video')?.videoWidth > 0, null, { timeout: 20_000 });
      await chair.page.goto(`${base}/meetings/${meetingId}/room`);
      await cameraReady(chair);
      await chair.page.click('.prejoin-form button[type=submit]');
      await chair.page.waitForSelector('.room[data-phase="in"]');
      await guest.page.goto(links.guest);
      await guest.page.check('input[name=confidentiality]');
      await cameraReady(guest);
      await guest.page.click('.prejoin-form button[type=submit]');
      await guest.page.waitForSelector('.room[data-phase="lobby"]');
      await client.page.goto(links.client);
      await cameraReady(client);
      await client.page.click('.prejoin-form button[type=submit]');
      await client.page.waitForSelector('.client-room[data-phase="lobby"]');
      await chair.page.click(`button[aria-label="${GUEST} toelaten"]`);
      await chair.page.click(`.chair-panel li.waiting button[aria-label$="toelaten"]:not([aria-label^="${GUEST}"])`);
      await guest.page.waitForSelector('.room[data-phase="in"]');
      await client.page.waitForSelector('.client-room[data-phase="in"]');
      await Promise.all([chair, guest, client].map((who) => expectMediaFlowing(who, { ms: 90_000 })));
    });

    await step('recover: the guest\'s page stands still for 8 s (one long task); it keeps its link and the chair never sees her reconnect', async () => {
      // A busy laptop or a long script holds the page's main thread; the browser's network and
      // media threads run on, and so does the link. The page must not take its own stall for a
      // dead network: a rejoin would cost everyone new connections (and, encrypted, new keys).
      const sockets = () => guest.page.evaluate(() => window.__sockets.length);
      const socketsBefore = await sockets();
      const watch = watchTile(chair, GUEST);
      await guest.page.evaluate(() => {
        const end = Date.now() + 8000;
        while (Date.now() < end) { /* one long task */ }
      });
      // The link's checks after the stall have had their turn (one every 250 ms).
      await sleep(2000);
      await watch.stop();
      const socketsNew = (await sockets()) - socketsBefore;
      log(`recover: after an 8 s stall of her page, ${socketsNew} new WebSocket(s); the chair saw her reconnecting: ${watch.seen.reconnecting}`);
      assert(socketsNew === 0, `her page kept its WebSocket (${socketsNew} new)`);
      assert(!watch.seen.reconnecting && watch.seen.missing === 0, 'the chair never saw her reconnecting or gone');
      await expectMediaFlowing(guest);
    });

    const before = await tileNames(guest);
    const SHORT_CUT = 'Tijdens de onderbreking: woning bij Woonbron toegezegd.';
    await step('recover: the guest\'s link is cut for 5 s; the chair sees "Verbinding herstellen…", never her leaving', async () => {
      const guestId = await tileId(chair, GUEST);
      const chairId = await tileId(guest, 'Inge de Wit');
      assert(guestId && chairId, 'the chair and the guest see each other\'s tiles');
      const watch = watchTile(chair, GUEST);
      figures.cut_by = cut();
      const cutAt = Date.now();
      // The link returns 5 s after the cut, whatever the checks below take meanwhile: on a
      // loaded machine the axe scan alone can take seconds, and a longer cut would outlast the
      // seat grace period.
      const restoring = sleep(5000).then(() => { restore(); return Date.now(); });
      await until('the chair sees the guest reconnecting', async () => (await tileOf(chair, GUEST))?.reconnecting, 5000, 100);
      figures.reconnecting_shown_after_ms = Date.now() - cutAt;
      await shot(chair, 'recover-chair-sees-reconnecting');
      await scan(chair, 'room (chair) with a participant reconnecting');
      await writeSituation(SHORT_CUT);
      const restoredAt = await restoring;
      const [guestBack, chairBack] = await Promise.all([
        backAt(guest, { from: restoredAt, of: chairId }),
        until('the chair sees the guest back', async () => {
          const tile = await tileOf(chair, GUEST);
          return tile && !tile.reconnecting ? Date.now() - restoredAt : null;
        }, 30_000, 100),
      ]);
      const chairMedia = await backAt(chair, { from: restoredAt, of: guestId });
      await watch.stop();
      figures.short_cut = { guest_back_with_media_ms: guestBack, chair_sees_her_back_ms: chairBack, chair_media_flowing_ms: chairMedia };
      // When each page's connections changed state, relative to the link's return: shows whose
      // connections were rebuilt, and when.
      for (const [who, key] of [[chair, 'chair_connections'], [guest, 'guest_connections']]) {
        const kt = await who.page.evaluate(() => ({ origin: window.__kt.origin, marks: window.__kt.marks, pcs: window.__pcs.map((pc) => pc.connectionState) }));
        figures.short_cut[key] = {
          states_now: kt.pcs,
          marks_ms_after_link_back: Object.fromEntries(Object.entries(kt.marks).filter(([k]) => k.startsWith('pc'))
            .map(([k, v]) => [k, Math.round(kt.origin + v - restoredAt)]).filter(([, v]) => v > -10_000)),
        };
      }
      log(`recover: back ${guestBack} ms after the link returned (the chair saw her back at ${chairBack} ms, media at the chair at ${chairMedia} ms)`);
      assert(watch.seen.reconnecting, 'the chair saw the guest as reconnecting');
      assert([...watch.seen.alerts].every((a) => a === 'Verbinding herstellen…'), `the tile said "Verbinding herstellen…", got ${[...watch.seen.alerts]}`);
      assert(watch.seen.missing === 0, `the chair never saw the guest leave (her tile was missing ${watch.seen.missing} times)`);
      // The bound: back in the room, media both ways, within 3 s of the link returning.
      // Checked at the end of the story, so that every figure is measured first.
      bound('back in the room (the chair sees her tile back, she receives the chair)', Math.max(guestBack, chairBack));
      bound('her media arriving at the chair again', chairMedia);
      assert(await guest.page.locator('.lobby, .room[data-phase="lobby"]').count() === 0, 'no lobby on the way back');
      const after = await tileNames(guest);
      assert(JSON.stringify(after) === JSON.stringify(before), `the same tiles (${before} before, ${after} after)`);
      await until('the guest\'s minutes show what was written while she was away', () => showsSituation(guest, SHORT_CUT), 5000, 100);
      await shot(guest, 'recover-guest-back');
    });

    await step(`recover: a cut longer than the seat grace period (${SEAT_GRACE_S} s) shows her as left`, async () => {
      cut();
      const cutAt = Date.now();
      await until('the chair sees the guest reconnecting', async () => (await tileOf(chair, GUEST))?.reconnecting, 6000, 100);
      await until('the chair sees the guest gone', async () => (await tileOf(chair, GUEST)) === null, (SEAT_GRACE_S + 10) * 1000, 200);
      figures.long_cut_left_after_ms = Date.now() - cutAt;
      log(`recover: shown as left ${figures.long_cut_left_after_ms} ms after the link was cut`);
      restore();
      // Admitted once: she comes back by herself as a new stay, still without the lobby.
      await guest.page.waitForSelector('.room[data-phase="in"]', { timeout: 30_000 });
      await until('the chair sees the guest again', async () => (await tileOf(chair, GUEST)) !== null, 30_000, 200);
      await Promise.all([chair, guest, client].map((who) => expectMediaFlowing(who)));
    });

    const BEFORE_KILL = 'Vlak voor de storing opgeslagen: briefadres bij het Leger des Heils.';
    await step('recover: the server is killed (SIGKILL) and restarted on the same data; everyone is back within 3 s', async () => {
      await chair.page.click('button:has-text("Cliënt even naar buiten")');
      await client.page.waitForSelector('.client-room[data-phase="out"]');
      await writeSituation(BEFORE_KILL);
      const { killedAt, healthyAt } = await server.restart();
      figures.restart = { down_ms: healthyAt - killedAt };
      const [chairBack, guestBack, clientBack] = await Promise.all([
        backAt(chair, { from: healthyAt }),
        backAt(guest, { from: healthyAt }),
        until('the client back, still outside', async () => (await client.page.locator('.client-room[data-phase="out"]').count()) && (await client.page.evaluate(() => window.__sockets.some((s) => s.readyState === WebSocket.OPEN))) ? Date.now() - healthyAt : null, 30_000, 100),
      ]);
      Object.assign(figures.restart, { chair_back_ms: chairBack, guest_back_ms: guestBack, client_back_outside_ms: clientBack });
      log(`recover: after the restart back in ${chairBack} (chair), ${guestBack} (guest), ${clientBack} (client, outside) ms from /healthz`);
      bound('every browser back after the restart, from /healthz', Math.max(chairBack, guestBack, clientBack));
      assert(await chair.page.locator('button:has-text("Cliënt terughalen")').count() === 1, 'the chair still chairs, the debrief still on');
      assert(await client.page.locator('.client-room[data-phase="out"]').count() === 1, 'the client is still outside');
      const stored = await chair.page.evaluate(async (id) => (await (await fetch(`/api/meetings/${id}`)).json())
        .minutes.domains.find((d) => d.domain === 'housing').situation, meetingId);
      assert(stored === BEFORE_KILL, `the text saved just before the kill is there (got ${stored})`);
      await shot(chair, 'recover-chair-after-restart');
      await chair.page.click('button:has-text("Cliënt terughalen")');
      await client.page.waitForSelector('.client-room[data-phase="in"]');
    });

    log(figures.missed.length ? `⚠ recover: 3 s bounds missed in this run: ${figures.missed.join('; ')}` : 'recover: every 3 s bound of the issue held');
  } catch (err) {
    // The browsers close below, before the runner could take its failure screenshots.
    await failureShots(results.people.filter((w) => w.name.startsWith('recover')), shots);
    throw err;
  } finally {
    await nsBrowser?.close().catch(() => {});
    await hostBrowser?.close().catch(() => {});
    await server?.stop();
    teardown();
  }
}
