// TURN over TLS on 443 (issue 13): Debian's coturn, started here with the infra configuration
// and a fresh certificate, relays for a participant whose browser may use relay candidates only
// (`?relay=1`), while a normal participant connects directly. Each decodes the other's video and
// hears the other's audio; the relay participant's selected candidate pair is a relay over TLS.
// Before entering, the pre-join connection test says "direct" to one and "via relay" to the other.
// Then the deny rules: coturn refuses to relay to internal addresses but allows the media server.
//
// Chromium trusts the test's self-signed certificate through --ignore-certificate-errors-spki-list
// with the certificate's SPKI hash: it pins exactly this one key, needs no NSS database in a
// profile (playwright starts each browser with a fresh profile) and, unlike
// --ignore-certificate-errors, does not switch certificate checks off for anything else.

import { startServer } from './lib/server.mjs';
import { launch, person, timings } from './lib/browser.mjs';
import { startCoturn, machineAddress } from './lib/coturn.mjs';
import { turnSession, restCredential } from './lib/turn-client.mjs';
import { screens, failureShots } from './lib/screens.mjs';
import { step, assert, log, until } from './lib/check.mjs';
import { expectMediaFlowing } from './lib/media.mjs';
import { randomBytes } from 'node:crypto';
import { scheduleConference } from './lib/schedule.mjs';

const GUEST = 'Tamar Tuinstra';

/** The selected candidate pair of every connected peer connection of `who`'s page. */
function selectedPairs(who) {
  return who.page.evaluate(async () => {
    const out = [];
    for (const pc of window.__pcs || []) {
      if (pc.connectionState !== 'connected') continue;
      const stats = [...(await pc.getStats()).values()];
      const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
      const pair = stats.find((s) => s.id === transport?.selectedCandidatePairId);
      const local = stats.find((s) => s.id === pair?.localCandidateId);
      const remote = stats.find((s) => s.id === pair?.remoteCandidateId);
      out.push({
        policy: pc.getConfiguration().iceTransportPolicy,
        local: local && { type: local.candidateType, protocol: local.protocol, relayProtocol: local.relayProtocol, url: local.url },
        remote: remote && { type: remote.candidateType, address: remote.address, port: remote.port },
        rtt_ms: pair?.currentRoundTripTime != null ? Math.round(pair.currentRoundTripTime * 1000) : null,
      });
    }
    return out;
  });
}

export async function turn({ artifacts, shots, results }) {
  if (typeof process.getuid === 'function' && process.getuid() !== 0) {
    // coturn must listen on 443, as it does in production; CI runs as root on these machines.
    log('⚠ turn story SKIPPED: it starts coturn on port 443, which needs root (run as root, as CI does)');
    return;
  }
  const { scan, shot, login } = screens({ results, shots });
  const ip = machineAddress();
  const secret = randomBytes(24).toString('base64url');
  const coturn = await startCoturn(artifacts, { ip, secret, allowedPeer: ip });
  log(`coturn on ${ip}:443 (TLS), certificate SPKI ${coturn.spki}; config in ${artifacts}/turnserver.conf`);
  let server;
  let browser;
  try {
    server = await startServer(artifacts, {
      name: 'server-turn',
      args: ['--media-ip', ip, '--turn', `turns:${ip}:443?transport=tcp`],
      env: { KETENTAFEL_TURN_SECRET: secret },
    });
    const base = server.base;
    browser = await launch({ args: [`--ignore-certificate-errors-spki-list=${coturn.spki}`] });
    const chair = await person(browser, 'turn chair (direct)', base, { width: 1366, height: 768 });
    const guest = await person(browser, 'turn guest (relay only)', base, { width: 1280, height: 720 });
    results.people.push(chair, guest);

    const { meetingId, link } = await step('the casemanager schedules a conference and invites a guest', async () => {
      const p = chair.page;
      await p.goto(`${base}/`);
      await p.waitForSelector('input[name=email]');
      await login(chair, 'casemanager@pi-dordrecht.example');
      await p.waitForSelector('.cases-table');
      const { meetingId, links } = await scheduleConference(p, { purpose: 'Beraad via een streng afgeschermd netwerk', jitterMinutes: 600, invites: {
        guest: { kind: 'guest', name: GUEST, organisation: 'Reclassering' },
      } });
      return { meetingId, link: links.guest };
    });

    const checks = await step('before entering, the connection test says "direct" to the chair and "via relay" to the relay-only guest', async () => {
      const result = (who) => who.page.getAttribute('[data-key=network-check]', 'data-result');
      await chair.page.goto(`${base}/meetings/${meetingId}/room`);
      await chair.page.waitForSelector('[data-key=network-check]:not([data-result=running])', { timeout: 30_000 });
      const chairSays = await chair.page.textContent('[data-key=network-check]');
      assert(await result(chair) === 'direct', `the chair's test says direct, got ${await result(chair)}: ${chairSays}`);
      assert(/Verbinding: goed \(direct\)/.test(chairSays) && /Camera: werkt/.test(chairSays) && /Microfoon: werkt/.test(chairSays),
        `the chair reads camera, microphone and connection in Dutch, got: ${chairSays}`);
      await guest.page.goto(`${link}?relay=1`);
      await guest.page.waitForSelector('[data-key=network-check]:not([data-result=running])', { timeout: 30_000 });
      const guestSays = await guest.page.textContent('[data-key=network-check]');
      assert(await result(guest) === 'relay', `the relay-only guest's test says relay, got ${await result(guest)}: ${guestSays}`);
      assert(/Verbinding: goed \(via relay\)/.test(guestSays), `the guest reads "goed (via relay)", got: ${guestSays}`);
      // The check's TURN credential is labelled "check-…": coturn allocated a relay for it.
      const allocated = await until('coturn logs the check\'s allocation', () =>
        /user <\d+:check-[0-9a-f-]+>: incoming packet ALLOCATE processed, success/.test(coturn.logText()), 5000);
      assert(allocated, 'coturn allocated a relay for the pre-join check');
      await shot(guest, 'turn-prejoin-check-relay', true);
      await scan(guest, 'pre-join with the connection test (via relay)');
      await shot(chair, 'turn-prejoin-check-direct', true);
      await scan(chair, 'pre-join with the connection test (direct)');
      return { chair: chairSays, guest: guestSays };
    });

    await step('the chair joins normally; the guest (invite opened with ?relay=1) waits in the lobby', async () => {
      await chair.page.click('.prejoin-form button[type=submit]');
      await chair.page.waitForSelector('.room[data-phase="in"]');
      await guest.page.check('input[name=confidentiality]');
      await guest.page.click('.prejoin-form button[type=submit]');
      await guest.page.waitForSelector('.room[data-phase="lobby"]');
      await chair.page.click(`button[aria-label="${GUEST} toelaten"]`);
      await guest.page.waitForSelector('.room[data-phase="in"]');
    });

    const flow = await step('each decodes the other\'s video and receives the other\'s audio, the guest only through coturn', async () => ({
      guest: await expectMediaFlowing(guest, { videos: 1, audios: 1 }),
      chair: await expectMediaFlowing(chair, { videos: 1, audios: 1 }),
    }));

    const pairs = await step('the guest\'s selected candidate pairs are relays over TLS; the chair\'s are direct', async () => {
      const g = await until('both of the guest\'s connections connected', async () => {
        const list = await selectedPairs(guest);
        return list.length >= 2 ? list : null;
      }, 20_000);
      const c = await selectedPairs(chair);
      log(`guest pairs: ${JSON.stringify(g)}`);
      log(`chair pairs: ${JSON.stringify(c)}`);
      for (const pair of g) {
        assert(pair.policy === 'relay', `the guest's connection uses iceTransportPolicy relay, got ${pair.policy}`);
        assert(pair.local?.type === 'relay', `the guest's local candidate is a relay, got ${JSON.stringify(pair.local)}`);
        assert(pair.local?.relayProtocol === 'tls', `the guest reaches coturn over TLS, got ${pair.local?.relayProtocol}`);
        assert(pair.local?.url?.startsWith(`turns:${ip}:443`), `through the turns: URL on 443, got ${pair.local?.url}`);
      }
      assert(c.length >= 2, `both of the chair's connections are connected, got ${c.length}`);
      for (const pair of c) {
        assert(pair.policy === 'all' && pair.local?.type === 'host', `the chair connects directly, got ${JSON.stringify(pair)}`);
      }
      return { guest: g, chair: c };
    });
    await shot(guest, 'turn-relay-guest-in-room');

    const refusals = await step('coturn relays to the media server only: internal and reserved peers are refused (403)', async () => {
      const s = await turnSession({ host: ip, port: 443, ...restCredential(secret, 'deny-check'),
        tlsOptions: { ca: coturn.certPem, servername: 'turn.ketentafel.test' } });
      try {
        assert(s.relayed, 'the allocation names a relayed address');
        const media = await s.permit(ip);
        assert(media.code === 200, `a permission for the media server ${ip} is granted, got ${media.code} ${media.reason}`);
        const answers = {};
        const neighbour = ip.replace(/\d+$/, (last) => String(Number(last) ^ 1));
        for (const peer of ['10.1.2.3', '127.0.0.1', '169.254.169.254', '172.16.0.1', '192.168.1.1', '100.64.0.1', '0.0.0.1', neighbour]) {
          const answer = await s.permit(peer);
          answers[peer] = answer.code;
          assert(answer.code === 403, `a permission for ${peer} is refused with 403, got ${answer.code} ${answer.reason}`);
        }
        log(`CreatePermission: ${ip} → 200; ${Object.entries(answers).map(([k, v]) => `${k} → ${v}`).join(', ')}`);
        return answers;
      } finally {
        s.close();
      }
    });

    await step('a credential signed with another secret gets no allocation', async () => {
      const refused = await turnSession({ host: ip, port: 443, ...restCredential(`${secret}x`, 'forged'),
        tlsOptions: { ca: coturn.certPem, servername: 'turn.ketentafel.test' } }).then(() => null, (err) => err.message);
      assert(refused && /401/.test(refused), `a forged credential is refused with 401, got ${refused}`);
    });

    const t = await timings(guest.page);
    results.turn = {
      measured_at: new Date().toISOString(),
      coturn_address: ip,
      guest_first_frame_after_admission_ms: t.firstFrame != null && t.admitted != null ? Math.round(t.firstFrame - t.admitted) : null,
      guest_marks: t.marks,
      prejoin_checks: checks,
      flow, pairs, refusals,
    };
    for (const who of [chair, guest]) await who.context.close().catch(() => {});
    results.people = results.people.filter((who) => who !== chair && who !== guest);
  } catch (err) {
    // This story's browser closes below, before run.mjs would photograph its pages.
    await failureShots(results.people, shots);
    throw err;
  } finally {
    if (browser) await browser.close().catch(() => {});
    if (server) await server.stop();
    await coturn.stop();
  }
}
