// Several nodes, and one of them dies (issue 15; docs/operations.md, "Several nodes"). Three
// `ketentafel` processes share one fresh PostgreSQL database and one NATS subject prefix, behind
// a round-robin TCP balancer without sticky sessions (lib/balancer.mjs); the browsers know only
// the balancer. The chair and a partner meet, the partner's signalling relayed to the hosting
// node where her WebSocket reached another; the chair saves minutes text. Then the hosting node
// is killed (SIGKILL): another node takes the conference (a higher epoch in `conference_host`),
// both browsers are back in the room by themselves within the issue's 10 s of the kill — same
// page, never the lobby —, the chair still chairs, each decodes the other again and the text is
// there. tests/api/nodes.rs is the headless version, with three participants.
//
// Needs PostgreSQL (KETENTAFEL_TEST_POSTGRES, else postgres://postgres@127.0.0.1:5432/postgres)
// and NATS (KETENTAFEL_TEST_NATS, else nats://127.0.0.1:4222), as the API tests do.

import { execFileSync } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { connect } from 'node:net';
import { person, SAVED } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { startBalancer } from './lib/balancer.mjs';
import { screens, failureShots } from './lib/screens.mjs';
import { step, until, assert, log } from './lib/check.mjs';
import { expectMediaFlowing } from './lib/media.mjs';
import { scheduleConference } from './lib/schedule.mjs';

const POSTGRES = process.env.KETENTAFEL_TEST_POSTGRES || 'postgres://postgres@127.0.0.1:5432/postgres';
const NATS = process.env.KETENTAFEL_TEST_NATS || 'nats://127.0.0.1:4222';
const CHAIR = 'Inge de Wit';
const PARTNER = 'Priya Ramdin';
/** The issue's bound: back in the room within 10 s of the kill. */
const BACK_WITHIN_MS = 10_000;
const SITUATION = 'Voor de storing opgeslagen: kamer bij Woonbron per de eerste van de maand.';

/** Runs SQL through psql on `url`; `vars` are psql variables (`:'id'`, `:"name"`), never spliced. */
function psql(url, sql, vars = {}) {
  const args = [url, '-AtqX', '-v', 'ON_ERROR_STOP=1', ...Object.entries(vars).flatMap(([k, v]) => ['-v', `${k}=${v}`])];
  return execFileSync('psql', args, { input: sql, stdio: ['pipe', 'pipe', 'pipe'] }).toString().trim();
}

/** The URL of database `name` on the server of `POSTGRES`. */
function databaseUrl(name) {
  const url = new URL(POSTGRES);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Whether something accepts TCP connections at the NATS URL's host and port. */
function reachable(address) {
  const { hostname, port } = new URL(address);
  return new Promise((ok) => {
    const socket = connect({ host: hostname, port: Number(port) || 4222 });
    socket.setTimeout(2000, () => { socket.destroy(); ok(false); });
    socket.once('connect', () => { socket.destroy(); ok(true); });
    socket.once('error', () => ok(false));
  });
}

/** Which node holds the conference's lease, and at which epoch. */
function host(url, meetingId) {
  const row = psql(url, "SELECT node, epoch FROM conference_host WHERE meeting_id = :'id';", { id: meetingId });
  if (!row) return null;
  const [node, epoch] = row.split('|');
  return { node, epoch: Number(epoch) };
}

/** The nodes that the balancer's open WebSockets reach. */
const openSockets = (balancer, from = 0) => balancer.connections.slice(from).filter((c) => c.open && c.line?.startsWith('GET /ws'));

/**
 * What the nodes' logs say they relayed (at debug level for `ketentafel::cluster`): "node1 → node0
 * 1" for each node that passed WebSockets on to the conference's host, and how many.
 */
function relaysLogged(nodes) {
  const counts = [];
  for (const [id, server] of nodes) {
    const hosts = readFileSync(server.log, 'utf8').replace(/\x1b\[[0-9;]*m/g, '').split('\n')
      .filter((l) => l.includes("a connection relayed to the conference's host"))
      .map((l) => /node="?([\w-]+)/.exec(l)?.[1]);
    for (const host of new Set(hosts)) counts.push(`${id} → ${host} ${hosts.filter((h) => h === host).length}`);
  }
  return counts.length ? counts.join(', ') : 'none';
}

/**
 * From now on, `who`'s page notes every phase its room shows (a MutationObserver, so even a
 * glimpse of the lobby is caught) and how many sockets it had; the note itself is gone if the
 * page reloads.
 */
function watchPhases(who) {
  return who.page.evaluate(() => {
    const seen = { phases: [], sockets: window.__sockets.length, welcomes: window.__kt.welcomes.length };
    window.__nodesStory = seen;
    const note = () => {
      const phase = document.querySelector('.room')?.dataset.phase || 'none';
      if (seen.phases.at(-1) !== phase) seen.phases.push(phase);
    };
    new MutationObserver(note).observe(document, { subtree: true, childList: true, attributes: true, attributeFilter: ['data-phase'] });
    note();
  });
}

/**
 * Whether `who` is back in the room after the kill: the same page (no reload), a `welcome` on a
 * new socket since the kill, that socket open, the room "in" with the other's tile.
 */
function backInRoom(who, other, killedAt) {
  return who.page.evaluate(({ other, killedAt }) => {
    const seen = window.__nodesStory;
    if (!seen) return { reloaded: true };
    const fresh = window.__sockets.slice(seen.sockets);
    const welcomed = window.__kt.welcomes.some((at) => at >= killedAt);
    const open = fresh.some((s) => s.readyState === WebSocket.OPEN);
    const inRoom = Boolean(document.querySelector('.room[data-phase="in"]'));
    const sees = [...document.querySelectorAll('.tile .tile-name')].some((n) => n.textContent === other);
    return { reloaded: false, back: welcomed && open && inRoom && sees };
  }, { other, killedAt });
}

/** Frames decoded and audio packets received by `who`'s page, over its live connections. */
function received(who) {
  return who.page.evaluate(async () => {
    let frames = 0;
    let packets = 0;
    for (const pc of window.__pcs || []) {
      if (pc.connectionState === 'closed') continue;
      for (const s of (await pc.getStats()).values()) {
        if (s.type !== 'inbound-rtp') continue;
        if (s.kind === 'video') frames += s.framesDecoded || 0;
        if (s.kind === 'audio') packets += s.packetsReceived || 0;
      }
    }
    return { frames, packets };
  });
}

export async function nodesStory({ browser, artifacts, shots, results }) {
  if (!(await reachable(NATS))) throw new Error(`the nodes story needs NATS at ${NATS} (set KETENTAFEL_TEST_NATS)`);
  const figures = { measured_at: new Date().toISOString(), nodes: 3 };
  results.nodes = figures;
  const database = `kt_e2e_nodes_${randomUUID().replace(/-/g, '').slice(0, 12)}`;
  const prefix = `kt-e2e-${randomUUID().replace(/-/g, '')}`;
  psql(POSTGRES, 'CREATE DATABASE :"name";', { name: database });
  const url = databaseUrl(database);
  const targets = [];
  const nodes = new Map();
  const people = [];
  let balancer;
  try {
    balancer = await startBalancer(targets);
    // One after the other: the first seeds the demo workspace, the others find it there.
    for (const id of ['node0', 'node1', 'node2']) {
      const server = await startServer(artifacts, {
        name: `nodes-${id}`,
        args: ['--nats-url', NATS, '--nats-prefix', prefix, '--node-id', id, '--public-url', balancer.base],
        // Debug for the cluster: the relaying node logs each WebSocket it passes on to the host.
        env: { DATABASE_URL: url, KETENTAFEL_LOG: 'info,ketentafel::cluster=debug' },
      });
      nodes.set(id, server);
      targets.push({ name: id, port: Number(new URL(server.base).port) });
    }
    const base = balancer.base;
    log(`nodes: ${[...nodes].map(([id, s]) => `${id} at ${s.base}`).join(', ')}; the browsers use the balancer at ${base}; database ${database}, NATS prefix ${prefix}`);

    const { scan, shot, login } = screens({ results, shots });
    const chair = await person(browser, 'nodes chair', base);
    const partner = await person(browser, 'nodes partner', base);
    people.push(chair, partner);
    results.people.push(chair, partner);
    const cameraReady = (who) => who.page.waitForFunction(() => document.querySelector('.preview-video')?.videoWidth > 0, null, { timeout: 20_000 });

    const { meetingId, links } = await step('nodes: the casemanager logs in through the balancer, schedules a conference and invites the probation officer', async () => {
      await chair.page.goto(`${base}/`);
      await chair.page.waitForSelector('input[name=email]');
      await login(chair, 'casemanager@pi-dordrecht.example');
      await chair.page.waitForSelector('.cases-table');
      return scheduleConference(chair.page, { purpose: 'Beraad over drie servers', invites: { partner: { kind: 'member', userName: PARTNER } } });
    });
    assert(links.partner.startsWith(`${base}/`), `the invite link names the balancer, not a node (${links.partner})`);

    const before = await step('nodes: the chair joins; the partner joins and is admitted; each decodes the other (where each WebSocket landed is logged)', async () => {
      await chair.page.goto(`${base}/meetings/${meetingId}/room`);
      await cameraReady(chair);
      await chair.page.click('.prejoin-form button[type=submit]');
      await chair.page.waitForSelector('.room[data-phase="in"]');
      const lease = host(url, meetingId);
      assert(lease, 'the conference has a lease once the chair is in');
      const [chairSocket] = openSockets(balancer);
      assert(chairSocket, 'the balancer carries the chair\'s WebSocket');

      const p = partner.page;
      await p.goto(links.partner);
      await p.click('a.button.primary[href^="/login"]');
      await p.waitForSelector('input[name=email]');
      await login(partner, 'reclassering@reclassering.example');
      await p.waitForSelector('.prejoin-form button[type=submit]');
      await cameraReady(partner);
      // Round robin decides where her WebSocket goes. Passing the chair's node's turn makes it
      // likely to land on another node and be relayed; where it went is logged, not required.
      if (balancer.next() === chairSocket.node) balancer.skip();
      const mark = balancer.connections.length;
      await p.click('.prejoin-form button[type=submit]');
      const where = await until('the partner is in the lobby or the room', () => p.evaluate(() => document.querySelector('.room[data-phase="lobby"], .room[data-phase="in"]')?.dataset.phase), 20_000);
      if (where === 'lobby') await chair.page.click(`button[aria-label="${PARTNER} toelaten"]`);
      await p.waitForSelector('.room[data-phase="in"]');
      await Promise.all([chair, partner].map((who) => expectMediaFlowing(who, { videos: 1, audios: 1 })));
      const [partnerSocket] = openSockets(balancer, mark);
      figures.before_kill = { host: lease.node, epoch: lease.epoch, chair_ws: chairSocket.node, partner_ws: partnerSocket?.node ?? null, relays_logged: relaysLogged(nodes) };
      const relayed = [chairSocket.node, partnerSocket?.node].filter((n) => n && n !== lease.node);
      log(`nodes: ${lease.node} hosts the conference (epoch ${lease.epoch}); the chair's WebSocket reaches ${chairSocket.node}, the partner's ${partnerSocket?.node ?? '(not seen)'}${relayed.length ? `: relayed over NATS from ${relayed.join(', ')}` : ': nobody relayed this time'}`);
      log(`nodes: WebSockets relayed to the host, from the nodes' logs: ${figures.before_kill.relays_logged}`);
      await shot(partner, 'nodes-partner-in-room');
      return lease;
    });

    await step('nodes: the chair saves a housing situation in the room; the partner sees it', async () => {
      const housing = chair.page.locator('details.domain-editor[data-domain="housing"]');
      if (!(await housing.evaluate((el) => el.open))) await housing.locator(':scope > summary').click();
      await housing.locator('textarea[name=situation]').fill(SITUATION);
      await housing.locator('button:has-text("Opslaan")').first().click();
      await housing.locator('.save-status', { hasText: SAVED }).waitFor();
      await until('the partner sees the saved situation', () => partner.page.evaluate((t) => (document.querySelector('details.domain-editor[data-domain="housing"]')?.textContent || '').includes(t), SITUATION), 15_000, 100);
    });

    await step('nodes: the hosting node is killed (SIGKILL); both are back in the room by themselves within 10 s, never in the lobby', async () => {
      const victim = host(url, meetingId).node;
      assert(victim === before.node && nodes.has(victim), `the conference is still on ${before.node} (now ${victim})`);
      await Promise.all([chair, partner].map(watchPhases));
      const killedAt = Date.now();
      await nodes.get(victim).kill();
      const backAt = {};
      await until('the chair and the partner back in the room', async () => {
        for (const [who, other, key] of [[chair, PARTNER, 'chair'], [partner, CHAIR, 'partner']]) {
          if (backAt[key]) continue;
          const state = await backInRoom(who, other, killedAt);
          assert(!state.reloaded, `${who.name}'s page was not reloaded`);
          if (state.back) backAt[key] = Date.now() - killedAt;
        }
        return backAt.chair && backAt.partner;
      }, 30_000, 100);
      const bothBack = Math.max(backAt.chair, backAt.partner);
      figures.kill_to_back_ms = { chair: backAt.chair, partner: backAt.partner, both: bothBack };
      log(`nodes: kill → both back in the room: ${bothBack} ms (chair ${backAt.chair} ms, partner ${backAt.partner} ms)`);

      // Media again: frames and audio growing on each page, from the moment both were back.
      const last = new Map();
      const mediaAt = {};
      await until('each decodes the other again', async () => {
        for (const [who, key] of [[chair, 'chair'], [partner, 'partner']]) {
          if (mediaAt[key]) continue;
          const now = await received(who);
          const then = last.get(key);
          if (then && now.frames > then.frames && now.packets > then.packets) mediaAt[key] = Date.now() - killedAt;
          last.set(key, now);
        }
        return mediaAt.chair && mediaAt.partner;
      }, 30_000, 200);
      figures.kill_to_media_ms = mediaAt;
      log(`nodes: kill → decoding the other again: chair ${mediaAt.chair} ms, partner ${mediaAt.partner} ms`);
      await Promise.all([chair, partner].map((who) => expectMediaFlowing(who, { videos: 1, audios: 1 })));

      const after = host(url, meetingId);
      figures.after_kill = {
        killed: victim, host: after?.node ?? null, epoch: after?.epoch ?? null, ws: openSockets(balancer).map((c) => c.node), relays_logged: relaysLogged(nodes),
        // Every WebSocket the browsers opened since the kill: where to and when, to read the way back.
        ws_since_kill: balancer.connections.filter((c) => c.at >= killedAt && c.line?.startsWith('GET /ws')).map((c) => ({ node: c.node, after_ms: c.at - killedAt, open: c.open })),
      };
      log(`nodes: ${after?.node} hosts the conference now (epoch ${after?.epoch}); the WebSockets reach ${figures.after_kill.ws.join(' and ')}`);
      log(`nodes: WebSockets relayed to the host so far, from the nodes' logs: ${figures.after_kill.relays_logged}`);
      const phases = Object.fromEntries(await Promise.all([chair, partner].map(async (who) => [who.name, await who.page.evaluate(() => window.__nodesStory.phases)])));
      figures.phases_seen = phases;

      assert(after && after.node !== victim, `another node hosts the conference (${after?.node})`);
      assert(after.epoch > before.epoch, `taking over raised the epoch (${before.epoch} → ${after.epoch})`);
      for (const [name, seen] of Object.entries(phases)) assert(!seen.includes('lobby'), `${name} never saw the lobby on the way back (phases ${seen.join(' → ')})`);
      assert(bothBack <= BACK_WITHIN_MS, `both back in the room within 10 s of the kill (took ${bothBack} ms)`);
      assert(await chair.page.locator(`.chair-panel button[aria-label="${PARTNER} verwijderen"]`).count() === 1, 'the chair still has the chair\'s controls');
      assert(await partner.page.locator('.chair-panel').count() === 0, 'the partner has no chair\'s controls');
      const housing = chair.page.locator('details.domain-editor[data-domain="housing"] textarea[name=situation]');
      assert(await housing.inputValue() === SITUATION, 'the chair\'s minutes still show the saved text');
      assert(await partner.page.evaluate((t) => (document.querySelector('details.domain-editor[data-domain="housing"]')?.textContent || '').includes(t), SITUATION), 'the partner\'s minutes still show it');
      const stored = await chair.page.evaluate(async (id) => (await (await fetch(`/api/meetings/${id}`)).json())
        .minutes.domains.find((d) => d.domain === 'housing').situation, meetingId);
      assert(stored === SITUATION, `the saved text is stored (got ${stored})`);
      await shot(chair, 'nodes-chair-after-takeover');
      await scan(chair, 'room (chair) after its node was killed');
    });
  } catch (err) {
    // The nodes stop below, before the runner could take its failure screenshots.
    await failureShots(people, shots);
    throw err;
  } finally {
    for (const who of people) await who.context.close().catch(() => {});
    // A node should stop at once on SIGTERM (--drain-timeout 0); stop() kills it after 5 s.
    await Promise.all([...nodes].map(async ([id, server]) => {
      const asked = Date.now();
      await server.stop();
      const took = Date.now() - asked;
      if (took >= 5000) log(`⚠ nodes: ${id} did not stop within 5 s of SIGTERM and was killed`);
    }));
    await balancer?.stop();
    try {
      psql(POSTGRES, 'DROP DATABASE IF EXISTS :"name" WITH (FORCE);', { name: database });
    } catch (err) {
      log(`⚠ nodes: database ${database} not dropped: ${String(err.stderr || err.message).trim()}`);
    }
  }
}
