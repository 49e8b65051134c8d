// End-to-end encryption in real browsers (docs/e2ee.md): a chair and a partner in Chromium, a
// guest in Firefox ESR and the client in Chromium meet in an encrypted conference. Every page
// decodes the others' video and hears their audio while its worker decrypts the frames; the
// safety code is the same everywhere. The partner leaves → every sender's KID changes and the
// rest still decode. The chair sends the client out while the server keeps forwarding media to
// him (KETENTAFEL_TEST_FAULT_FORWARD_TO_SENT_OUT=true, a simulated SFU fault) → his browser
// receives packets but decodes no frame, and his worker counts the drops; brought back, he
// decodes again. A guest whose browser cannot encrypt is told so before joining, marked in the
// lobby, admitted only after the chair confirms, and the room says whom it is unencrypted for.
// The worker's cost per frame and the join time with key agreement are recorded as figures.
//
// Runs on a server of its own with media on a non-loopback address (Firefox; lib/firefox.mjs).

import { person, timings, mediaStats } from './lib/browser.mjs';
import { launchFirefox, firefoxPerson, mediaAddress } from './lib/firefox.mjs';
import { startServer, binaryPath } from './lib/server.mjs';
import { screens, failureShots } from './lib/screens.mjs';
import { step, until, assert, log } from './lib/check.mjs';
import { expectMediaFlowing } from './lib/media.mjs';
import { scheduleConference } from './lib/schedule.mjs';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';

const CHAIR = 'Inge de Wit';
const PARTNER = 'Wouter Hendriks';
const GUEST = 'Sanne Postma';
const CLIENT = 'Daan V. (fictief)';
const PLAIN_GUEST = 'Joost Kramer';
const TAP = 'SFU-tap (test)';

/** The SFU tap built beside the server (`cargo build -p ketentafel-load --bin ketentafel-tap`). */
const tapBinary = () => join(dirname(binaryPath()), 'ketentafel-tap');

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

/** The page's encryption as its diagnostic hook shows it (docs/e2ee.md). */
function e2ee(who) {
  return who.page.evaluate(() => {
    const e = window.__ketentafelE2ee;
    if (!e) return null;
    return { supported: e.supported, encrypted: e.encrypted, without: e.without, code: e.safetyCode, sendKid: e.sendKid, counters: e.counters };
  });
}

const DROPS = ['droppedUnknownKey', 'droppedBadTag', 'droppedNoSendKey', 'failed'];
const dropped = (c) => (c ? DROPS.reduce((n, k) => n + c[k], 0) : 0);
/** Which kinds of drop grew between two readings of the counters. */
const why = (a, b) => DROPS.map((k) => `${k} +${b[k] - a[k]}`).join(', ');

/** Sums of what a page receives: bytes and packets of every inbound stream, frames decoded. */
async function inbound(who) {
  const s = await mediaStats(who.page);
  return {
    bytes: [...s.video, ...s.audio].reduce((n, x) => n + x.bytes, 0),
    frames: s.video.reduce((n, x) => n + x.framesDecoded, 0),
  };
}

export async function e2eeStory({ browser, artifacts, shots, results }) {
  const { scan, shot, login } = screens({ results, shots });
  const media = mediaAddress();
  const server = await startServer(artifacts, { name: 'server-e2ee', env: {
    KETENTAFEL_MEDIA_IP: media,
    // The server's flag takes true/false (clap), not 1.
    KETENTAFEL_TEST_FAULT_FORWARD_TO_SENT_OUT: 'true',
  } });
  log(`e2ee story: server at ${server.base}, media on ${media}, forwarding to the client while he is out (test fault)`);
  let ff = null;
  const people = [];
  const figures = { note: 'µs per frame from the worker (WebCrypto encrypt/decrypt awaited, per frame, mean over the run); join with key agreement: ms from admission to the first decoded remote video frame on the page\'s clock (every frame decoded is a decrypted one in an encrypted room). Four pages and the server share this machine\'s two cores.' };
  try {
    const base = server.base;
    ff = await step('Firefox ESR starts (WebDriver BiDi)', () => launchFirefox());
    const chair = await person(browser, 'e2ee story: chair (Chromium)', base);
    const partner = await person(browser, 'e2ee story: partner (Chromium)', base);
    const client = await person(browser, 'e2ee story: client (Chromium)', base);
    const guest = await firefoxPerson(ff, 'e2ee story: guest (Firefox)', base, { width: 1280, height: 720 });
    people.push(chair, partner, client, guest);
    results.people.push(chair, partner, client, guest);

    const { meetingId, links } = await step('the chair schedules a conference and invites a partner, a guest and the client', async () => {
      const p = chair.page;
      await p.goto(`${base}/`);
      await p.waitForSelector('input[name=email]');
      await login(chair, 'casemanager@pi-dordrecht.example');
      await p.waitForSelector('.cases-table');
      return scheduleConference(p, { purpose: 'Versleuteld beraad', invites: {
        partner: { kind: 'member', userName: PARTNER },
        guest: { kind: 'guest', name: GUEST, organisation: 'Leger des Heils' },
        plain: { kind: 'guest', name: PLAIN_GUEST, organisation: 'Gemeente Dordrecht' },
        client: { kind: 'client' },
      } });
    });

    await step('the chair enters the room: it is end-to-end encrypted', async () => {
      await chair.page.goto(`${base}/meetings/${meetingId}/room`);
      await chair.page.waitForSelector('.prejoin-form button[type=submit]');
      assert(!(await chair.page.$('[data-key=e2ee-unsupported]')), 'Chromium is not warned that it cannot encrypt');
      await chair.page.waitForFunction(() => document.querySelector('.preview-video')?.videoWidth > 0);
      await chair.page.click('.prejoin-form button[type=submit]');
      await chair.page.waitForSelector('.room[data-phase="in"]');
      await chair.page.waitForSelector('[data-key=e2ee-on]');
      const state = await e2ee(chair);
      assert(state.supported && state.encrypted === true, `the chair's page encrypts (${JSON.stringify(state)})`);
    });

    await step('the guest (Firefox) and the client (Chromium) wait in the lobby; the partner joins', async () => {
      await guest.page.goto(links.guest);
      await guest.page.waitForSelector('input[name=confidentiality]', { timeout: 20_000 });
      await guest.page.waitForFunction(() => document.querySelector('.preview-video')?.videoWidth > 0, { timeout: 20_000 });
      assert(await guest.page.evaluate(() => typeof RTCRtpScriptTransform === 'function' && !document.querySelector('[data-key=e2ee-unsupported]')), 'Firefox can encrypt and is not warned');
      await guest.page.click('input[name=confidentiality]');
      await guest.page.click('.prejoin-form button[type=submit]');
      await guest.page.waitForSelector('.room[data-phase="lobby"]', { timeout: 20_000 });

      await client.page.goto(links.client);
      await client.page.waitForSelector('.prejoin.plain .prejoin-form button[type=submit]');
      await client.page.waitForFunction(() => document.querySelector('.preview-video')?.videoWidth > 0);
      await client.page.click('.prejoin-form button[type=submit]');
      await client.page.waitForSelector('.client-room[data-phase="lobby"]');

      const p = partner.page;
      await p.goto(links.partner);
      await p.click('a.button.primary[href^="/login"]');
      await p.waitForSelector('input[name=email]');
      await login(partner, 'woning@woonbron.example');
      await p.waitForSelector('.prejoin-form button[type=submit]');
      await p.waitForFunction(() => document.querySelector('.preview-video')?.videoWidth > 0);
      await p.click('.prejoin-form button[type=submit]');
      const where = await until('the partner is in the lobby or the room', () => p.evaluate(() => document.querySelector('.room[data-phase="lobby"], .room[data-phase="in"]')?.dataset.phase), 20_000);
      if (where === 'lobby') await chair.page.click(`button[aria-label="${PARTNER} toelaten"]`);
      await p.waitForSelector('.room[data-phase="in"]');
    });

    await step('the chair\'s lobby marks nobody as unable to encrypt; he admits the guest and the client', async () => {
      await chair.page.waitForSelector('.chair-panel li.waiting >> nth=1');
      assert(!(await chair.page.$('.chair-panel [data-key=e2ee-cannot]')), 'both can encrypt: no mark');
      await chair.page.click(`button[aria-label="${GUEST} toelaten"]`);
      await chair.page.click(`button[aria-label="${CLIENT} toelaten"]`);
      await guest.page.waitForSelector('.room[data-phase="in"]', { timeout: 20_000 });
      await client.page.waitForSelector('.client-room[data-phase="in"]');
    });

    const everyone = [chair, partner, guest, client];
    await step('all four see and hear each other encrypted: frames decoded grow, audio arrives, workers decrypt', async () => {
      const flows = await Promise.all(everyone.map((who) => expectMediaFlowing(who, { videos: 3, audios: 3 })));
      figures.media = Object.fromEntries(everyone.map((who, i) => [who.name, flows[i]]));
      for (const who of everyone) {
        const s = await until(`${who.name}: the worker decrypts and the room says it is encrypted`, async () => {
          const x = await e2ee(who);
          return x && x.encrypted === true && x.counters && x.counters.decrypted > 50 && x.counters.encrypted > 50 ? x : null;
        }, 15_000);
        log(`${who.name}: encrypted ${s.counters.encrypted}, decrypted ${s.counters.decrypted}, dropped ${dropped(s.counters)}, KIDs ${Object.keys(s.counters.kids).length}`);
        assert(Object.keys(s.counters.kids).length >= 3, `${who.name} decrypts frames of three senders (KIDs ${Object.keys(s.counters.kids).join(', ')})`);
      }
      // Sound, not only packets: the Chromium pages play the others' fake microphones.
      const energy = await chair.page.evaluate(async () => {
        let total = 0;
        for (const pc of window.__pcs) for (const s of (await pc.getStats()).values()) if (s.type === 'inbound-rtp' && s.kind === 'audio') total += s.totalAudioEnergy || 0;
        return total;
      });
      log(`the chair's page: total audio energy received ${energy.toFixed(4)}`);
      assert(energy > 0, 'the chair hears decrypted audio (audio energy above zero)');
      const joins = {};
      const steps = {};
      for (const who of [partner, guest, client]) {
        const tm = await timings(who.page);
        if (tm.admitted !== null && tm.firstFrame !== null) joins[who.name] = Math.round(tm.firstFrame - tm.admitted);
        // Where the time went: keys (media_keys sent, the first media_key received) beside the
        // media connections and the first frame, ms after the page opened.
        steps[who.name] = Object.fromEntries(Object.entries(tm.marks).filter(([k]) => /admitted|media_key|subscribe|connected|first frame/.test(k)));
      }
      figures.admitted_to_first_decrypted_frame_ms = joins;
      figures.join_steps_ms = steps;
      log(`admitted → first decrypted frame: ${Object.entries(joins).map(([n, ms]) => `${n}: ${ms} ms`).join('; ')}`);
      await client.page.waitForSelector('[data-key=e2ee-on]');
      const words = await client.page.textContent('[data-key=e2ee-on]');
      assert(/Alleen de mensen in dit gesprek kunnen je zien en horen/.test(words), `the client reads the plain words (${words})`);
      await shot(chair, 'e2ee-room-chair');
      await shot(client, 'e2ee-room-client');
      await scan(chair, 'conference room, encrypted (chair)');
      await scan(client, 'conference room, encrypted (client)');
    });

    await step('in steady state no page drops a frame', async () => {
      // At least 5 s, longer while a page has not shown progress yet: a page's counters come from
      // its worker about once a second, through a main thread a loaded machine can hold up.
      // Whatever the window, nothing may be dropped in it.
      const before = await Promise.all(everyone.map(e2ee));
      const started = Date.now();
      let after = before;
      do {
        await sleep(after === before ? 5000 : 1000);
        after = await Promise.all(everyone.map(e2ee));
      } while (after.some((x, i) => x.counters.decrypted === before[i].counters.decrypted) && Date.now() - started < 20_000);
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      everyone.forEach((who, i) => {
        const lost = dropped(after[i].counters) - dropped(before[i].counters);
        const more = after[i].counters.decrypted - before[i].counters.decrypted;
        log(`${who.name}: ${more} frames decrypted, ${lost} dropped in ${seconds} s`);
        assert(more > 0 && lost === 0, `${who.name}: decrypts and drops nothing in steady state (${more} decrypted, ${lost} dropped: ${why(before[i].counters, after[i].counters)})`);
      });
    });

    await step('the safety code is the same in all four browsers, and shown on request by keyboard', async () => {
      // Each page hashes the seated keys itself, a moment after the list it hashes changes.
      let codes = [];
      const agreed = await until('one safety code everywhere', async () => {
        codes = (await Promise.all(everyone.map(e2ee))).map((x) => x.code);
        return codes[0] && /^\d{4}( \d{4}){4}$/.test(codes[0]) && codes.every((c) => c === codes[0]);
      }, 10_000).catch(() => false);
      log(`safety codes: ${codes.join(' | ')}`);
      assert(agreed, `one safety code everywhere (${codes.join(' | ')})`);
      await chair.page.focus('[data-key=safety-code-toggle]');
      await chair.page.keyboard.press('Enter');
      await chair.page.waitForSelector('[data-key=safety-code]:visible');
      assert((await chair.page.textContent('[data-key=safety-code]')) === codes[0], 'the chair\'s page shows that code');
      assert((await chair.page.getAttribute('[data-key=safety-code-toggle]', 'aria-expanded')) === 'true', 'the button says the code is shown');
      await shot(chair, 'e2ee-safety-code');
      await scan(chair, 'safety code shown (chair)');
    });

    await step('an SFU tap let in as a guest records what the SFU forwards: ciphertext, no picture, no key', async () => {
      // The tap (load/src/bin/ketentafel-tap.rs) is a headless participant with the well-known
      // headless key: the browsers never wrap a key for it, so it sees exactly what the SFU (or
      // whoever runs it) could: SFrame chains, and VP8 keyframes that decode to no picture.
      const link = await chair.page.evaluate(async ([id, name]) => {
        const res = await fetch(`/api/meetings/${id}/invites`, { method: 'POST', headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ kind: 'guest', name, organisation: 'Testopstelling' }) });
        const body = await res.json();
        if (!res.ok) throw new Error(JSON.stringify(body));
        return body.url;
      }, [meetingId, TAP]);
      const out = `${artifacts}/sfu-tap.json`;
      const tap = spawn(tapBinary(), ['--server', server.base, '--invite', link, '--out', out, '--seconds', '6', '--dump', `${artifacts}/sfu-tap-keyframes`],
        { stdio: ['ignore', 'pipe', 'pipe'] });
      let said = '';
      tap.stdout.on('data', (d) => { said += d; });
      tap.stderr.on('data', (d) => { said += d; });
      const exited = new Promise((resolve) => tap.on('exit', resolve));
      await chair.page.click(`button[aria-label="${TAP} toelaten"]`, { timeout: 20_000 });
      const code = await exited;
      log(`SFU tap: ${said.trim()}`);
      assert(code === 0, `the tap ran (exit ${code}): ${said}`);
      const report = JSON.parse(readFileSync(out, 'utf8'));
      figures.sfu_tap = report;
      const { video, audio } = report;
      const sframe = (k) => (k.chained + k.chain_starts) / Math.max(1, k.frames);
      log(`SFU tap: video ${video.frames} frames from ${video.streams} streams, ${(100 * sframe(video)).toFixed(1)} % in SFrame chains, ${video.keyframes} keyframes, ${video.pictures} decoded to a picture (${video.refused} refused by the decoder); audio ${audio.frames} packets from ${audio.streams} streams, ${(100 * sframe(audio)).toFixed(1)} % in SFrame chains`);
      assert(video.streams >= 3 && audio.streams >= 3, `the tap received every sender's video and audio (${video.streams} video, ${audio.streams} audio)`);
      assert(video.frames >= 30 && audio.frames >= 100, `enough to judge (${video.frames} video frames, ${audio.frames} audio packets)`);
      assert(video.keyframes >= 1, 'at least one keyframe reached the tap, so the picture test means something');
      assert(video.pictures === 0, `no forwarded keyframe decodes to a picture (${video.pictures} of ${video.keyframes} did)`);
      assert(sframe(video) >= 0.95 && sframe(audio) >= 0.95,
        `every forwarded frame carries an SFrame header of a running key (video ${(100 * sframe(video)).toFixed(1)} %, audio ${(100 * sframe(audio)).toFixed(1)} %)`);
      await until('the others no longer see the tap', () => chair.page.evaluate((n) => ![...document.querySelectorAll('.tile-name')].some((t) => t.textContent === n), TAP), 15_000);
      // The tap's leaving rotated every sender's key; let the new keys settle before the next step.
      await sleep(2000);
    });


    await step('the partner leaves: every other sender\'s KID changes and the rest still decode', async () => {
      const before = Object.fromEntries(await Promise.all([chair, guest, client].map(async (who) => [who.name, (await e2ee(who)).sendKid])));
      await partner.page.click('button[data-key=leave]');
      await partner.page.click('dialog button[value=yes]');
      await until('the others no longer see the partner', () => chair.page.evaluate((n) => ![...document.querySelectorAll('.tile-name')].some((t) => t.textContent === n), PARTNER), 15_000);
      for (const who of [chair, guest, client]) {
        const kid = await until(`${who.name}: a new sender KID`, async () => {
          const x = await e2ee(who);
          return x.sendKid && x.sendKid !== before[who.name] ? x.sendKid : null;
        }, 10_000);
        log(`${who.name}: KID ${before[who.name]} → ${kid}`);
      }
      await Promise.all([chair, guest, client].map((who) => expectMediaFlowing(who, { videos: 2, audios: 2 })));
      // Each page decrypts frames under the others' new KIDs.
      for (const who of [chair, guest, client]) {
        const others = [chair, guest, client].filter((x) => x !== who);
        const kids = await Promise.all(others.map(async (o) => String((await e2ee(o)).sendKid)));
        await until(`${who.name}: decrypts frames under the new KIDs ${kids.join(', ')}`, async () => {
          const x = await e2ee(who);
          return kids.every((k) => x.counters.kids[k] > 0);
        }, 10_000);
      }
      const codes = (await Promise.all([chair, guest, client].map(e2ee))).map((x) => x.code);
      assert(codes.every((c) => c === codes[0]), `the three still share one safety code (${codes.join(' | ')})`);
    });

    await step('the client is sent out while the SFU (test fault) keeps forwarding to him: packets arrive, nothing decodes', async () => {
      const kidBefore = (await e2ee(chair)).sendKid;
      await chair.page.click('.chair-panel button:has-text("Cliënt even naar buiten")');
      await client.page.waitForSelector('.client-room[data-phase="out"]');
      await until('the chair and guest rotate their keys', async () => (await e2ee(chair)).sendKid !== kidBefore, 10_000);
      // What reached him before (frames in flight, and those his decoder still had queued: on a
      // loaded machine it runs seconds behind) is over once his decoder stands still.
      await until('his decoder has nothing left from before he went out', async () => {
        const x = await inbound(client);
        await sleep(1000);
        return (await inbound(client)).frames === x.frames;
      }, 20_000);
      const a = await inbound(client);
      const ca = (await e2ee(client)).counters;
      await sleep(4000);
      const b = await inbound(client);
      const cb = (await e2ee(client)).counters;
      log(`client while out: ${b.bytes - a.bytes} bytes received, ${b.frames - a.frames} frames decoded, ${dropped(cb) - dropped(ca)} frames dropped by his worker, ${cb.decrypted - ca.decrypted} decrypted`);
      figures.debrief = { bytes_received_in_4s: b.bytes - a.bytes, frames_decoded_in_4s: b.frames - a.frames, frames_dropped_in_4s: dropped(cb) - dropped(ca) };
      assert(b.bytes > a.bytes, 'the fault is on: media still reaches the client\'s browser while he is out');
      assert(b.frames === a.frames, `his browser decodes no frame while out (${b.frames - a.frames} decoded)`);
      assert(cb.decrypted === ca.decrypted && dropped(cb) > dropped(ca), 'his worker decrypts nothing and drops what arrives');
      await expectMediaFlowing(chair, { videos: 1, audios: 1 });
      await expectMediaFlowing(guest, { videos: 1, audios: 1 });
      await shot(client, 'e2ee-client-out');
    });

    await step('the client is brought back: he gets the current keys and decodes again', async () => {
      await chair.page.click('.chair-panel button:has-text("Cliënt terughalen")');
      await client.page.waitForSelector('.client-room[data-phase="in"]');
      await expectMediaFlowing(client, { videos: 2, audios: 2 });
      const x = await until('the client decrypts again', async () => {
        const s = await e2ee(client);
        await sleep(1000);
        const t = await e2ee(client);
        return t.counters.decrypted > s.counters.decrypted ? t : null;
      }, 15_000);
      const codes = [x.code, ...(await Promise.all([chair, guest].map(e2ee))).map((y) => y.code)];
      assert(codes.every((c) => c === codes[0]), `one safety code again (${codes.join(' | ')})`);
    });

    await step('a guest whose browser cannot encrypt is told so, marked in the lobby, and let in only when the chair confirms', async () => {
      const plain = await person(browser, 'e2ee story: guest without encryption (Chromium)', base);
      people.push(plain);
      results.people.push(plain);
      // This browser lacks encoded transforms, as an old one would.
      await plain.context.addInitScript(() => { delete window.RTCRtpScriptTransform; });
      await plain.page.goto(links.plain);
      await plain.page.waitForSelector('[data-key=e2ee-unsupported]');
      const warning = await plain.page.textContent('[data-key=e2ee-unsupported]');
      assert(/niet end-to-end versleutelen/.test(warning) && /voorzitter beslist/.test(warning), `the pre-join page says so in Dutch (${warning})`);
      await shot(plain, 'e2ee-prejoin-unsupported');
      await scan(plain, 'pre-join, browser cannot encrypt');
      await plain.page.click('input[name=confidentiality]');
      await plain.page.waitForFunction(() => document.querySelector('.preview-video')?.videoWidth > 0);
      await plain.page.click('.prejoin-form button[type=submit]');
      await plain.page.waitForSelector('.room[data-phase="lobby"] [data-key=e2ee-unsupported]');
      await chair.page.waitForSelector('.chair-panel [data-key=e2ee-cannot]');
      await chair.page.click(`button[aria-label="${PLAIN_GUEST} toelaten"]`);
      await chair.page.waitForSelector('dialog[open]');
      const question = await chair.page.textContent('dialog[open] h2');
      assert(/toelaten zonder versleuteling\?/.test(question), `the chair is asked first (${question})`);
      await shot(chair, 'e2ee-admit-unencrypted');
      await chair.page.click('dialog[open] button[value=yes]');
      await plain.page.waitForSelector('.room[data-phase="in"]');
      for (const who of [chair, guest, client]) {
        await until(`${who.name}: the room is not encrypted because of ${PLAIN_GUEST}`, async () => {
          const x = await e2ee(who);
          return x.encrypted === false && x.without.includes(PLAIN_GUEST);
        }, 10_000);
      }
      const says = await chair.page.textContent('[data-key=e2ee-off]');
      assert(says.includes(PLAIN_GUEST), `the chair's room names him (${says})`);
      await Promise.all([chair, plain].map((who) => expectMediaFlowing(who, { videos: 3, audios: 3 })));
      await shot(chair, 'e2ee-room-unencrypted');
      await scan(chair, 'conference room, not encrypted (chair)');
      await plain.page.click('button[data-key=leave]');
      await plain.page.click('dialog button[value=yes]');
      for (const who of [chair, guest, client]) {
        await until(`${who.name}: encrypted again once he left`, async () => (await e2ee(who)).encrypted === true, 10_000);
      }
      await Promise.all([chair, guest, client].map((who) => expectMediaFlowing(who, { videos: 2, audios: 2 })));
    });

    await step('figures: the worker\'s cost per frame', async () => {
      const cost = {};
      for (const who of [chair, guest, client]) {
        const c = (await e2ee(who)).counters;
        cost[who.name] = {
          encrypt_us_per_frame: Math.round(c.encryptMicros / Math.max(1, c.encrypted)),
          decrypt_us_per_frame: Math.round(c.decryptMicros / Math.max(1, c.decrypted)),
          frames_encrypted: c.encrypted, frames_decrypted: c.decrypted,
        };
      }
      figures.worker = cost;
      log(`worker µs per frame: ${Object.entries(cost).map(([n, c]) => `${n}: encrypt ${c.encrypt_us_per_frame}, decrypt ${c.decrypt_us_per_frame}`).join('; ')}`);
    });
    results.e2ee = figures;
  } catch (err) {
    await failureShots(people, shots);
    throw err;
  } finally {
    for (const who of people) await who.context.close().catch(() => {});
    if (ff) await ff.close().catch(() => {});
    await server.stop();
  }
}
