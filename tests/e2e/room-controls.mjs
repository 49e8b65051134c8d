// The room's controls and connection states, each person in their own browser context: the
// speaker test before joining, focus after joining, connection quality per tile from getStats,
// raised hands and the chair's queue, an enforced mute the chair checks by what still arrives,
// "mute everyone but me", camera off that really stops the camera, a lost connection shown
// to the chair and recovered by itself, layouts on a laptop and a phone, and a read-only room
// after the minutes are final.

import { person } from './lib/browser.mjs';
import { screens } from './lib/screens.mjs';
import { step, until, assert, log } from './lib/check.mjs';
import { expectMediaFlowing } from './lib/media.mjs';
import { scheduleConference } from './lib/schedule.mjs';

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const GUEST = 'Fenna Feenstra';

/**
 * Audio packets `who` has received from participant `id` so far, read from the page's own
 * getStats: the subscribe connection's SDP names each transceiver's stream (the participant
 * id) and its mid; inbound-rtp names the mid. Transceivers no longer offered do not count.
 */
function audioFrom(who, id) {
  return who.page.evaluate(async (participant) => {
    let packets = 0;
    for (const pc of window.__pcs || []) {
      if (pc.connectionState === 'closed' || !pc.remoteDescription) continue;
      const mids = new Set();
      for (const section of pc.remoteDescription.sdp.split(/\r?\nm=/).slice(1)) {
        const mid = /a=mid:(\S+)/.exec(section);
        const msid = /a=msid:(\S+)/.exec(section);
        if (section.startsWith('audio') && mid && msid && msid[1] === participant && !/a=inactive/.test(section)) mids.add(mid[1]);
      }
      for (const s of (await pc.getStats()).values()) {
        if (s.type === 'inbound-rtp' && s.kind === 'audio' && mids.has(String(s.mid))) packets += s.packetsReceived || 0;
      }
    }
    return packets;
  }, id);
}

/** Whether `who` receives audio from `id` now: packets grow over two seconds. */
async function hears(who, id) {
  const before = await audioFrom(who, id);
  await sleep(2000);
  return (await audioFrom(who, id)) > before;
}

/** The participant id of the tile named `name` on `who`'s page. */
function tileId(who, name) {
  return who.page.evaluate((n) => [...document.querySelectorAll('.tile')].find((t) => t.querySelector('.tile-name').textContent === n && !t.classList.contains('lost'))?.dataset.participantId, name);
}

/** The video layers `who`'s page sends (outbound-rtp per rid): rid → frame height and bytes. */
function sentLayers(who) {
  return who.page.evaluate(async () => {
    const layers = {};
    for (const pc of window.__pcs || []) {
      if (pc.connectionState === 'closed') continue;
      for (const s of (await pc.getStats()).values()) {
        if (s.type === 'outbound-rtp' && s.kind === 'video') layers[s.rid || '-'] = { height: s.frameHeight || 0, bytes: s.bytesSent || 0 };
      }
    }
    return layers;
  });
}

/** The frame heights of the videos `who`'s page decodes now (framesDecoded grows over 1.5 s). */
function decodedHeights(who) {
  return who.page.evaluate(async () => {
    const read = async () => {
      const out = new Map();
      for (const pc of window.__pcs || []) {
        if (pc.connectionState === 'closed') continue;
        for (const s of (await pc.getStats()).values()) {
          if (s.type === 'inbound-rtp' && s.kind === 'video') out.set(s.id, { frames: s.framesDecoded || 0, height: s.frameHeight || 0 });
        }
      }
      return out;
    };
    const before = await read();
    await new Promise((r) => setTimeout(r, 1500));
    return [...(await read()).entries()].filter(([id, now]) => now.frames > (before.get(id)?.frames ?? 0)).map(([, now]) => now.height).sort((a, b) => a - b);
  });
}

function tileQuality(who, name) {
  return who.page.evaluate((n) => [...document.querySelectorAll('.tile')].filter((t) => t.querySelector('.tile-name').textContent === n).map((t) => t.dataset.quality), name);
}

/** Per stream, for a failure message: "lost (audio good, video lost)". */
function tileStreams(who, name) {
  return who.page.evaluate((n) => [...document.querySelectorAll('.tile')].filter((t) => t.querySelector('.tile-name').textContent === n)
    .map((t) => `${t.dataset.quality} (audio ${t.dataset.audio || '-'}, video ${t.dataset.video || '-'})`).join('; '), name);
}

function noHorizontalScroll(page) {
  return page.evaluate(() => document.documentElement.scrollWidth <= document.documentElement.clientWidth);
}

export async function roomControls({ browser, base, shots, results }) {
  const { scan, shot, login } = screens({ results, shots });
  const chair = await person(browser, 'room chair', base, { width: 1366, height: 768 });
  const guest = await person(browser, 'room guest', base, { width: 1280, height: 720 });
  const client = await person(browser, 'room client (phone)', base, { width: 390, height: 844 });
  results.people.push(chair, guest, client);

  const { meetingId, links } = await step('the casemanager schedules a conference and invites a guest and the client', async () => {
    const p = chair.page;
    await p.goto(`${base}/`);
    await p.waitForSelector('input[name=email]');
    await login(chair, 'casemanager@pi-dordrecht.example');
    await p.waitForSelector('.cases-table');
    return scheduleConference(p, { purpose: 'Beraad over de bediening van de vergaderruimte', daysAhead: 8, jitterMinutes: 600, invites: {
      guest: { kind: 'guest', name: GUEST, organisation: 'Leger des Heils' },
      client: { kind: 'client' },
    } });
  });

  await step('before joining, the chair tests his speaker: a tone plays and he is asked whether he heard it', async () => {
    const p = chair.page;
    await p.goto(`${base}/meetings/${meetingId}/room`);
    await p.waitForSelector('.prejoin-form button[type=submit]');
    await p.click('button[data-key=speaker-test]');
    await p.waitForSelector('.speaker-status:has-text("Hoorde u twee tonen")', { timeout: 10_000 });
    await shot(chair, 'room-prejoin-speaker-test');
    await scan(chair, 'pre-join with speaker test');
    await p.click('.prejoin-form button[type=submit]');
    await p.waitForSelector('.room[data-phase="in"]');
    await until('focus on the room heading after joining', () => p.evaluate(() => document.activeElement?.classList.contains('room-title')), 5000);
  });

  await step('the guest and the client (on a phone) join; the chair admits them; focus is never left on <body>', async () => {
    // The client's phone takes 2.5 s to give its camera and microphone, and he presses "join"
    // before it has: he must still be seen and heard once it does.
    await client.context.addInitScript(() => {
      const gum = navigator.mediaDevices.getUserMedia.bind(navigator.mediaDevices);
      navigator.mediaDevices.getUserMedia = (c) => new Promise((ok) => setTimeout(ok, 2500)).then(() => gum(c));
    });
    await guest.page.goto(links.guest);
    await guest.page.check('input[name=confidentiality]');
    await guest.page.click('.prejoin-form button[type=submit]');
    await guest.page.waitForSelector('.room[data-phase="lobby"]');
    await client.page.goto(links.client);
    await client.page.click('.prejoin-form button[type=submit]');
    await client.page.waitForSelector('.client-room[data-phase="lobby"]');
    assert(await client.page.evaluate(() => !(window.__pcs || []).some((pc) => pc.getSenders().some((s) => s.track))),
      'the client pressed "join" before his camera and microphone were there');
    await chair.page.click(`button[aria-label="${GUEST} toelaten"]`);
    await chair.page.click(`.chair-panel li.waiting button[aria-label$="toelaten"]:not([aria-label^="${GUEST}"])`);
    await guest.page.waitForSelector('.room[data-phase="in"]');
    await client.page.waitForSelector('.client-room[data-phase="in"]');
    for (const who of [guest, client]) {
      await until(`${who.name}: focus on the room heading`, () => who.page.evaluate(() => document.activeElement?.classList.contains('room-title')), 5000);
    }
    await Promise.all([chair, guest, client].map((who) => expectMediaFlowing(who)));
  });

  await step('every tile shows from getStats that audio and video arrive well; the own tile shows the own network', async () => {
    await until('the chair sees the guest\'s connection as good', async () => (await tileQuality(chair, GUEST)).includes('good'), 20_000);
    await until('the chair\'s own tile tells his own network', () => chair.page.evaluate(() => document.querySelector('.tile .tile-quality[data-quality="good"]')?.textContent.startsWith('Uw netwerk')), 20_000);
    await chair.page.waitForSelector('.tile[data-quality="good"] .tile-quality:has-text("Verbinding goed")');
  });

  await step('simulcast: each page sends its camera in two layers; big tiles get the full picture, small ones the low layer, and a window that shrinks and grows again follows', async () => {
    const first = await sentLayers(chair);
    await sleep(1500);
    const then = await sentLayers(chair);
    log(`the chair sends: ${JSON.stringify(then)}`);
    for (const rid of ['l', 'h']) assert(then[rid] && then[rid].bytes > (first[rid]?.bytes ?? 0), `the chair's layer ${rid} is sent (${JSON.stringify(then)})`);
    assert(then.l.height < then.h.height, `the low layer is the smaller picture (${then.l.height} and ${then.h.height} lines)`);
    // What the chair decodes is compared with what the other two send in that layer at that
    // moment: a browser short of CPU may send a smaller picture than its camera's.
    const receives = (rid) => async () => {
      const [heights, sent] = await Promise.all([decodedHeights(chair), Promise.all([guest, client].map(sentLayers))]);
      const want = sent.map((layers) => layers[rid]?.height ?? 0).sort((a, b) => a - b);
      log(`the chair decodes ${JSON.stringify(heights)}; layer ${rid} of the others is ${JSON.stringify(want)} (tiles ${JSON.stringify(await chair.page.$$eval('.tile .tile-media', (els) => els.map((e) => Math.round(e.getBoundingClientRect().height))))})`);
      return JSON.stringify(heights) === JSON.stringify(want);
    };
    // The chair's tiles, at 1366×768 with two others, are over 240 pixels high.
    await until('the chair decodes both others at the full picture', receives('h'), 20_000, 0);
    await chair.page.setViewportSize({ width: 320, height: 1400 });
    await until('the chair\'s shrunk window gets the low layer', receives('l'), 20_000, 0);
    await chair.page.setViewportSize({ width: 1366, height: 768 });
    await until('the chair\'s window grown back gets the full picture again', receives('h'), 20_000, 0);
  });

  await step('hands: each sees their own hand up and can lower it; the chair sees them in order and lowers one', async () => {
    await guest.page.click('button[data-key=control-hand]');
    await guest.page.waitForSelector('.hand-status:has-text("Uw hand is opgestoken (nummer 1")');
    await guest.page.waitForSelector('button[data-key=control-hand]:has-text("Hand laten zakken")');
    await client.page.click('button[data-key=control-hand]');
    await client.page.waitForSelector('.hand-status:has-text("Je bent nummer 2")');
    await client.page.waitForSelector('button[data-key=control-hand]:has-text("Ik wil niets meer zeggen")');
    const order = await until('the chair sees two hands, first raised first', async () => {
      const names = await chair.page.$$eval('.hand-list li strong', (els) => els.map((e) => e.textContent));
      return names.length === 2 ? names : null;
    }, 10_000);
    assert(order[0] === GUEST, `the guest raised first and is first in the queue, got ${order}`);
    await shot(chair, 'room-chair-hand-queue');
    await scan(chair, 'room (chair) with hand queue');
    await shot(client, 'room-client-phone-hand-up', true);
    await scan(client, 'room (client, phone) with hand up');
    await chair.page.click(`button[aria-label="Hand van ${GUEST} laten zakken"]`);
    await guest.page.waitForSelector('button[data-key=control-hand]:has-text("Hand opsteken")');
    assert(!(await guest.page.locator('.hand-status').count()), 'the guest no longer sees a hand up');
    await until('the client moved up to first', () => client.page.locator('.hand-status:has-text("Je bent nummer 1")').count(), 10_000);
    await client.page.click('button[data-key=control-hand]');
    await client.page.waitForSelector('button[data-key=control-hand]:has-text("Ik wil iets zeggen")');
    await chair.page.waitForSelector('.hand-queue p.empty');
  });

  await step('an enforced mute: the guest\'s audio stops arriving at the chair until he allows her and she unmutes', async () => {
    const id = await tileId(chair, GUEST);
    assert(await hears(chair, id), 'the chair hears the guest before the mute');
    const people = chair.page.locator('.chair-panel details.people');
    if (!(await people.evaluate((el) => el.open))) await people.locator('summary').click();
    await chair.page.click(`button[aria-label="Microfoon uitzetten van ${GUEST}"]`);
    await guest.page.waitForSelector('.room-hints [data-key=force-muted]');
    await guest.page.waitForSelector('button[data-key=mic][disabled]:has-text("Microfoon uitgezet door voorzitter")');
    await sleep(1500);
    assert(!(await hears(chair, id)), 'no audio of the muted guest reaches the chair');
    await shot(guest, 'room-guest-muted-by-chair');
    await scan(guest, 'room (guest) muted by the chair');
    await chair.page.click(`button[aria-label="${GUEST} laten spreken"]`);
    await guest.page.waitForSelector('.room-hints [data-key=speak-allowed]');
    await sleep(1000);
    assert(!(await hears(chair, id)), 'allowed is not yet unmuted: still nothing arrives');
    await guest.page.click('button[data-key=mic]:has-text("Microfoon aanzetten")');
    await until('the chair hears the guest again', () => hears(chair, id), 20_000, 0);
    assert(!(await guest.page.locator('.room-hints [data-key=speak-allowed]').count()), 'the hint went once she spoke');
  });

  await step('"mute everyone but me": the others are muted and told, the chair is still heard', async () => {
    await chair.page.click('button[data-key=mute-all]');
    await chair.page.click('dialog button[value=yes]');
    await guest.page.waitForSelector('.room-hints [data-key=force-muted]');
    await client.page.waitForSelector('.room-hints [data-key=force-muted]:has-text("De voorzitter heeft je microfoon uitgezet")');
    const chairId = await tileId(guest, 'Inge de Wit');
    assert(chairId && (await hears(guest, chairId)), 'the guest still hears the chair');
    const guestId = await tileId(chair, GUEST);
    assert(!(await hears(chair, guestId)), 'the chair no longer hears the guest');
    await shot(client, 'room-client-phone-muted', true);
    await chair.page.click(`button[aria-label="${GUEST} laten spreken"]`);
    await chair.page.click(`button[aria-label$="laten spreken"]:not([aria-label^="${GUEST}"])`);
    await guest.page.click('button[data-key=mic]:has-text("Microfoon aanzetten")');
    await until('the chair hears the guest after allow and unmute', () => hears(chair, guestId), 20_000, 0);
  });

  await step('camera off stops the camera (track ended, nothing sent) and is shown as camera off, not as lost', async () => {
    const p = guest.page;
    await p.evaluate(() => {
      const sender = window.__pcs.flatMap((pc) => pc.getSenders()).find((s) => s.track && s.track.kind === 'video');
      window.__camera = sender.track;
    });
    await p.click('button[data-key=camera]:has-text("Camera uitzetten")');
    await until('the camera track has ended and nothing is sent as video', () => p.evaluate(() => window.__camera.readyState === 'ended'
      && window.__pcs.flatMap((pc) => pc.connectionState === 'closed' ? [] : pc.getSenders()).every((s) => !s.track || s.track.kind !== 'video')), 5000);
    await sleep(7000);
    // The claim is about the camera: its stream is judged "off", not lost. (The tile's level
    // is the worse of audio and video; the audio is judged on its own figures.)
    const videoLevels = await chair.page.evaluate((n) => [...document.querySelectorAll('.tile')]
      .filter((t) => t.querySelector('.tile-name').textContent === n).map((t) => t.dataset.video), GUEST);
    assert(videoLevels.length === 1 && videoLevels[0] === 'off', `a camera that is off is judged "off", not lost (got ${await tileStreams(chair, GUEST)})`);
    log(`the chair's view of the guest with her camera off: ${await tileStreams(chair, GUEST)}`);
    await chair.page.waitForSelector(`.tile:has(.tile-name:text-is("${GUEST}")) .flag:has-text("Camera uit")`);
    await p.click('button[data-key=camera]:has-text("Camera aanzetten")');
    await until('a new, live camera track is sent', () => p.evaluate(() => window.__pcs.flatMap((pc) => pc.connectionState === 'closed' ? [] : pc.getSenders())
      .some((s) => s.track && s.track.kind === 'video' && s.track.readyState === 'live' && s.track !== window.__camera)), 10_000);
    // The client was allowed to speak after "mute all" but did not unmute: one audio stream.
    await expectMediaFlowing(chair, { videos: 2, audios: 1 });
  });

  await step('a lost connection: the chair sees "Geen verbinding" on the guest, she is told, and it recovers by itself', async () => {
    // The browser's offline mode does not reach WebRTC's UDP, so what a dead network does to
    // media is done by hand: nothing leaves the guest's connections any more.
    await guest.context.setOffline(true);
    await guest.page.evaluate(() => Promise.all(window.__pcs.filter((pc) => pc.connectionState !== 'closed')
      .flatMap((pc) => pc.getSenders()).map((s) => s.replaceTrack(null))));
    await guest.page.waitForSelector('.room-hints [data-key=own-lost]', { timeout: 15_000 });
    await until('the chair sees the guest as lost', async () => (await tileQuality(chair, GUEST)).includes('lost'), 30_000);
    // Media gone with the socket still open reads "Geen verbinding"; once the server notices the
    // socket gone too, it holds her seat and the tile reads "Verbinding herstellen…".
    await chair.page.waitForSelector('.tile.lost .tile-alert:text-matches("Geen verbinding|Verbinding herstellen…")');
    await shot(chair, 'room-chair-guest-lost');
    await scan(chair, 'room (chair) with a lost participant');
    await shot(guest, 'room-guest-own-connection-lost');
    await scan(guest, 'room (guest) own connection lost');
    await guest.context.setOffline(false);
    await until('the chair sees the guest good again, and no lost tile', async () => {
      const levels = await tileQuality(chair, GUEST);
      return levels.length === 1 && levels[0] === 'good';
    }, 60_000);
    await guest.page.waitForSelector('.room-hints [data-key=own-lost]', { state: 'detached', timeout: 20_000 });
    await expectMediaFlowing(chair, { videos: 2, audios: 1 });
    log('the guest reconnected by herself');
  });

  await step('layouts: no horizontal scrolling at 1280×720, 1366×768 and on a 390×844 phone; the name band is below the face on the phone', async () => {
    assert(await noHorizontalScroll(guest.page), 'the guest\'s room at 1280×720 does not scroll sideways');
    // After the reconnection just above the room may still be settling (a hint going away).
    await until('at 1280×720 every control, leaving included, is in view', () => guest.page.evaluate(() => [...document.querySelectorAll('.controls button')]
      .every((b) => { const r = b.getBoundingClientRect(); return r.bottom <= window.innerHeight && r.right <= window.innerWidth; })), 10_000);
    await shot(guest, 'room-guest-1280x720');
    assert(await noHorizontalScroll(chair.page), 'the chair\'s room at 1366×768 does not scroll sideways');
    await shot(chair, 'room-chair-1366x768');
    await chair.page.setViewportSize({ width: 1280, height: 720 });
    assert(await noHorizontalScroll(chair.page), 'the chair\'s room at 1280×720 does not scroll sideways');
    await shot(chair, 'room-chair-1280x720');
    await chair.page.setViewportSize({ width: 1366, height: 768 });
    assert(await noHorizontalScroll(client.page), 'the client\'s room on a phone does not scroll sideways');
    const overlaps = await client.page.$$eval('.tile', (tiles) => tiles.filter((t) => {
      const media = t.querySelector('.tile-media').getBoundingClientRect();
      const label = t.querySelector('.tile-label').getBoundingClientRect();
      return label.top < media.bottom - 1;
    }).length);
    assert(overlaps === 0, `on the phone no name band covers a picture (${overlaps} do)`);
    const leaveApart = await client.page.evaluate(() => {
      const leave = document.querySelector('.controls-leave button');
      const hand = document.querySelector('button[data-key=control-hand]');
      return leave && hand && leave.parentElement !== hand.parentElement && leave.textContent === 'Weggaan';
    });
    assert(leaveApart, 'the client\'s leave button sits apart from "Ik wil iets zeggen"');
    const labels = await client.page.$$eval('.controls button', (bs) => bs.map((b) => b.textContent));
    // The client was allowed to speak after "mute all" but has not unmuted yet.
    assert(labels.includes('Zet je microfoon aan') && labels.includes('Zet je camera uit'), `the client's buttons say what they do: ${labels}`);
    await shot(client, 'room-client-phone', true);
  });

  await step('after finalising the room is read-only, and the guest sees no password or stale mute text', async () => {
    const p = chair.page;
    await p.click('.minutes-footer button:has-text("Verslag vaststellen")');
    await p.click('dialog button[value=yes]');
    for (const who of [chair, guest]) await who.page.waitForSelector('.room[data-phase="ended"]');
    await client.page.waitForSelector('.client-room[data-phase="ended"]');
    await p.waitForSelector('[data-key=minutes-final]');
    assert(!(await p.locator('.room-side button:has-text("Opslaan")').count()), 'no "Opslaan" after finalising');
    assert(!(await p.locator('.room-side :text("Afspraak toevoegen")').count()), 'no "Afspraak toevoegen" after finalising');
    assert(!(await p.locator('.room-side textarea').count()), 'no text to edit after finalising');
    await guest.page.waitForSelector('[data-key=minutes-final]');
    assert(!(await guest.page.locator('.room-side button:has-text("Opslaan")').count()), 'the guest has nothing to save either');
    const text = await guest.page.evaluate(() => document.body.innerText);
    assert(!/wachtwoord/i.test(text), 'nothing on the guest\'s page speaks of a password');
    assert(!(await guest.page.locator('.room-hints [data-key=mute-requested], .room-hints [data-key=force-muted]').count()), 'no mute banner is left standing');
    await shot(chair, 'room-chair-finalised-read-only');
    await scan(chair, 'room (chair) after finalising');
    await shot(guest, 'room-guest-finalised');
    await scan(guest, 'room (guest) after finalising');
  });

  for (const who of [chair, guest, client]) await who.context.close().catch(() => {});
  results.people = results.people.filter((x) => ![chair, guest, client].includes(x));
}
