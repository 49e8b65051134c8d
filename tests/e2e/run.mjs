// The end-to-end test: starts the built debug binary with the demo workspace, plays the whole
// story in headless Chromium (Debian's), and writes screenshots, accessibility results and
// join-time figures to a folder it prints. Exits non-zero on any failure.
//
//   node tests/e2e/run.mjs            (after `cargo build`; see scripts/test)
//   KETENTAFEL_BIN=…  CHROMIUM_PATH=…  E2E_ARTIFACTS=…   to override the defaults
//   E2E_STORIES=steer                 to play only some stories (comma-separated: conference, steer, layouts, minutes, room, admin, turn, firefox, recover, weak, e2ee, nodes)
//
// The conference, steering, layouts, minutes and room stories share one server (the demo's one
// case) and run in order: the conference first, then steering (whose decisions land on the
// conference the demo has scheduled next), the layouts of every screen at three sizes, then the
// minutes and the room's controls (each on a conference of its own). The admin story (case work
// and the administrator's console) starts its own server with the demo's year of history; the
// Firefox story (guests in Debian's Firefox ESR with a Chromium chair) starts its own server with
// media on a non-loopback address (lib/firefox.mjs says why); the TURN story starts its own
// server, coturn (TLS on 443) and a browser that trusts coturn's certificate; the recover story
// starts its own server and puts one guest's Chromium in a network namespace of its own; the
// e2ee story (end-to-end encryption, Chromium and Firefox) starts its own server with media on a
// non-loopback address and the test fault that forwards media to the client while he is out; the
// nodes story starts three servers on a PostgreSQL database of its own and NATS, behind a
// round-robin balancer, and kills the one hosting the conference.

import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { startServer, repoRoot } from './lib/server.mjs';
import { launch } from './lib/browser.mjs';
import { log, percentile } from './lib/check.mjs';
import { story } from './story.mjs';
import { steer } from './steer.mjs';
import { admin } from './admin.mjs';
import { layouts } from './layouts.mjs';
import { minutes } from './minutes.mjs';
import { roomControls } from './room-controls.mjs';
import { turn } from './turn.mjs';
import { firefox } from './firefox.mjs';
import { recover } from './recover.mjs';
import { weakStory } from './weak.mjs';
import { e2eeStory } from './e2ee.mjs';
import { nodesStory } from './nodes.mjs';
import { failureShots } from './lib/screens.mjs';

const stamp = new Date().toISOString().replace(/[:.]/g, '-');
const artifacts = process.env.E2E_ARTIFACTS || join(repoRoot(), 'tests', 'e2e', 'artifacts', stamp);
const shots = join(artifacts, 'screenshots');
mkdirSync(shots, { recursive: true });

const results = { axe: [], screenshots: [], joins: [], rejoins: [], media: {}, people: [] };
let server;
let browser;
let failure = null;
try {
  server = await startServer(artifacts);
  log(`server at ${server.base} (data in ${server.dataDir})`);
  browser = await launch();
  const wanted = (process.env.E2E_STORIES || 'conference,steer,layouts,minutes,room,admin,turn,firefox,recover,weak,e2ee,nodes').split(',').map((s) => s.trim());
  // After each story its pages are closed (their problems stay in results.people): a
  // conference left running would keep encoding and decoding video on this machine's two cores
  // under every story after it.
  const play = async (name, run) => {
    if (!wanted.includes(name)) return;
    await run();
    for (const who of results.people) await who.context.close().catch(() => {});
  };
  await play('conference', () => story({ browser, base: server.base, shots, results }));
  await play('steer', () => steer({ browser, base: server.base, shots, results }));
  await play('layouts', () => layouts({ browser, base: server.base, shots, results }));
  await play('minutes', () => minutes({ browser, base: server.base, shots, results }));
  await play('room', () => roomControls({ browser, base: server.base, shots, results }));
  await play('admin', () => admin({ browser, artifacts, shots, results }));
  await play('turn', () => turn({ artifacts, shots, results }));
  await play('firefox', () => firefox({ browser, artifacts, shots, results }));
  await play('recover', () => recover({ artifacts, shots, results }));
  await play('weak', () => weakStory({ artifacts, shots, results }));
  await play('e2ee', () => e2eeStory({ browser, artifacts, shots, results }));
  await play('nodes', () => nodesStory({ browser, artifacts, shots, results }));
} catch (err) {
  failure = err;
  log(`✗ ${err.stack || err}`);
  await failureShots(results.people, shots);
}

const problems = results.people.flatMap((who) => who.problems.map((p) => `${who.name}: ${p}`));
const seriousAxe = results.axe.filter((a) => a.violations.length);
const joins = {
  measured_at: new Date().toISOString(),
  note: 'ms on each page\'s own clock: from opening the page (for the chair: the room URL; for the others: their invite link) to the first decoded remote video frame; also from clicking join, and from being admitted. Guests and the client wait in the lobby for the chair, which is part of their page-open figure.',
  participants: results.joins,
  p50: {
    open_to_first_frame_ms: percentile(results.joins.map((j) => j.open_to_first_frame_ms), 50),
    join_click_to_first_frame_ms: percentile(results.joins.map((j) => j.join_click_to_first_frame_ms), 50),
    admitted_to_first_frame_ms: percentile(results.joins.map((j) => j.admitted_to_first_frame_ms), 50),
  },
  rejoins: {
    note: 'a member who is already in leaves (reload) and joins again, five times per condition; ms from the click on join (the camera is on by then) to the first decoded remote frame, with the first time each step of the join happened. All pages share this machine\'s two cores with the server',
    conditions: results.rejoins.map((r) => ({
      who: r.who,
      condition: r.condition,
      p50_join_click_to_first_frame_ms: percentile(r.runs.map((x) => x.join_click_to_first_frame_ms), 50),
      max_join_click_to_first_frame_ms: Math.max(...r.runs.map((x) => x.join_click_to_first_frame_ms)),
      runs: r.runs,
    })),
  },
  sending: results.sending,
  media: results.media,
};
writeFileSync(join(artifacts, 'join-times.json'), `${JSON.stringify(joins, null, 2)}\n`);
if (results.turn) writeFileSync(join(artifacts, 'turn.json'), `${JSON.stringify(results.turn, null, 2)}\n`);
writeFileSync(join(artifacts, 'axe.json'), `${JSON.stringify(results.axe, null, 2)}\n`);
if (results.recover) writeFileSync(join(artifacts, 'recover.json'), `${JSON.stringify(results.recover, null, 2)}\n`);
if (results.e2ee) writeFileSync(join(artifacts, 'e2ee.json'), `${JSON.stringify(results.e2ee, null, 2)}\n`);
if (results.nodes) writeFileSync(join(artifacts, 'nodes.json'), `${JSON.stringify(results.nodes, null, 2)}\n`);
// Each page's console errors and warnings (lib/browser.mjs noteConsole), for diagnosis.
const consoleLogs = Object.fromEntries(results.people.filter((who) => who.consoleLog && who.consoleLog.length).map((who) => [who.name, who.consoleLog]));
writeFileSync(join(artifacts, 'console.json'), `${JSON.stringify(consoleLogs, null, 2)}\n`);

for (const who of results.people) await who.context.close().catch(() => {});
if (browser) await browser.close().catch(() => {});
if (server) await server.stop();

log(`screenshots: ${shots}`);
log(`join times:  ${join(artifacts, 'join-times.json')}  (p50 open→first frame ${joins.p50.open_to_first_frame_ms} ms)`);
log(`axe results: ${join(artifacts, 'axe.json')} (${results.axe.length} screens scanned)`);
if (server) log(`server log:  ${server.log}`);
for (const a of seriousAxe) log(`axe ${a.screen}: ${a.violations.map((v) => `${v.impact} ${v.id} (${v.nodes.join(', ')})`).join('; ')}`);
for (const p of problems) log(`page problem: ${p}`);

const failed = Boolean(failure) || seriousAxe.length > 0 || problems.length > 0;
console.log(failed ? '0 passed, 1 failed' : '1 passed, 0 failed');
process.exit(failed ? 1 : 0);
