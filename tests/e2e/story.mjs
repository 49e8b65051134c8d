// The whole story of the issue, each person in their own browser context: scheduling and
// inviting, joining and admitting, seeing and hearing each other, live minutes, the client
// sent out and back, finalising and printing; plus need-to-know, accessibility and
// screenshots of every main screen.

import { person, timings, sendingVideo, SAVED } from './lib/browser.mjs';
import { screens } from './lib/screens.mjs';
import { step, until, assert, log, dutchDate } from './lib/check.mjs';
import { expectMediaFlowing, receivedBytes } from './lib/media.mjs';

const HOUSING_SITUATION = 'Zus biedt twee weken onderdak; daarna nodig: kamer via Woonbron, urgentie aangevraagd.';
const ACTION = 'Urgentieverklaring afronden en een kamer in Dordrecht aanbieden';
// The same action in the client's own words (B1), as the chair writes it for him.
const CLIENT_ACTION = 'Woonbron zoekt een kamer voor je in Dordrecht.';

export async function story({ browser, base, shots, results }) {
  const { scan, shot, login } = screens({ results, shots });

  const chair = await person(browser, 'casemanager (chair)', base);
  const rio = await person(browser, 'rio', base);
  // A small laptop and a large screen, besides the usual 1366×860.
  const guest = await person(browser, 'guest (Woonbron)', base, { width: 1280, height: 720 });
  const client = await person(browser, 'client', base, { width: 1600, height: 900 });
  const outsider = await person(browser, 'partner not on the case', base);
  results.people = [chair, rio, guest, client, outsider];

  const { caseUrl, meetingId, links } = await step('the casemanager logs in, schedules a conference and invites', async () => {
    const p = chair.page;
    await p.goto(`${base}/`);
    await p.waitForSelector('h1:has-text("Inloggen")');
    await shot(chair, 'login');
    await scan(chair, 'login');
    await login(chair, 'casemanager@pi-dordrecht.example');
    await p.waitForSelector('.cases-table');
    await shot(chair, 'my-cases');
    await scan(chair, 'my cases');
    await p.click('.cases-table tbody a');
    await p.waitForSelector('#domains-title');
    const caseUrl = p.url();
    await shot(chair, 'case', true);
    await scan(chair, 'case');
    await p.click('a[href$="/schedule"]');
    await p.waitForSelector('textarea[name=purpose]');
    await shot(chair, 'schedule');
    await scan(chair, 'schedule');
    await p.click('form button[type=submit]');
    await p.waitForSelector('#invites-title');
    const meetingId = new URL(p.url()).pathname.split('/')[2];
    const links = {};
    const createdLink = async (section) => {
      const before = await p.$eval('#invite-link', (el) => el.value).catch(() => null);
      await p.click(`section[aria-labelledby=${section}] button[type=submit]`);
      return until('a new invite link', async () => {
        const now = await p.$eval('#invite-link', (el) => el.value).catch(() => null);
        return now && now !== before ? now : null;
      }, 10_000);
    };
    const rioOption = await p.$eval('section[aria-labelledby=inv-member] select', (s) => [...s.options].find((o) => o.text.startsWith('Rik Vermeulen')).value);
    await p.selectOption('section[aria-labelledby=inv-member] select', rioOption);
    links.rio = await createdLink('inv-member');
    await p.fill('section[aria-labelledby=inv-guest] input[name=name]', 'Willem Bos');
    await p.fill('section[aria-labelledby=inv-guest] input[name=organisation]', 'Woonbron');
    links.guest = await createdLink('inv-guest');
    links.client = await createdLink('inv-client');
    await shot(chair, 'schedule-and-invite', true);
    await scan(chair, 'conference and invites');
    return { caseUrl, meetingId, links };
  });
  results.meetingId = meetingId;

  await step('the partner who is not on the case cannot open the case or the conference by URL', async () => {
    const p = outsider.page;
    await p.goto(`${base}/login`);
    await p.waitForSelector('h1:has-text("Inloggen")');
    // Keyboard only: skip link, fields and submit without a mouse.
    await p.keyboard.press('Tab');
    assert(await p.evaluate(() => document.activeElement.classList.contains('skip-link')), 'the first Tab reaches the skip link');
    await p.focus('input[name=email]');
    await p.keyboard.type('schuldhulp@schuldhulp.example');
    await p.keyboard.press('Tab');
    await p.keyboard.type('demo');
    await p.keyboard.press('Enter');
    await p.waitForSelector('h1:has-text("Mijn casussen")');
    await p.goto(caseUrl);
    await p.waitForSelector('h1:has-text("Niet gevonden")');
    await shot(outsider, 'outsider-case-not-found');
    await scan(outsider, 'not found');
    await p.goto(`${base}/meetings/${meetingId}/room`);
    await p.waitForSelector('h1:has-text("Niet gevonden")');
    const statuses = await p.evaluate(async ([c, m]) => Promise.all([`/api/cases/${c}`, `/api/meetings/${m}`, `/api/meetings/${m}/minutes`]
      .map((u) => fetch(u).then((r) => r.status))), [caseUrl.split('/').pop(), meetingId]);
    assert(statuses.every((s) => s === 404), `outsider gets 404 from the API, got ${statuses}`);
    assert(!(await p.locator('video').count()), 'no conference opened for the outsider');
    await p.goto(`${base}/`);
    await p.click('button:has-text("English")');
    await p.waitForSelector('h1:has-text("My cases")');
    await p.click('button:has-text("Nederlands")');
    await p.waitForSelector('h1:has-text("Mijn casussen")');
  });

  await step('the chair opens the conference room', async () => {
    await chair.page.goto(`${base}/meetings/${meetingId}/room`);
    await chair.page.waitForSelector('.prejoin-form button[type=submit]');
    await chair.page.waitForFunction(() => document.querySelector('.preview-video')?.videoWidth > 0);
    await shot(chair, 'prejoin-chair');
    await scan(chair, 'pre-join');
    await chair.page.evaluate(() => { window.__kt.joinClicked = performance.now(); });
    await chair.page.click('.prejoin-form button[type=submit]');
    await chair.page.waitForSelector('.room[data-phase="in"]');
  });

  await step('the rio opens his link, logs in and (as a coordinator on the case) enters directly', async () => {
    const p = rio.page;
    await p.goto(links.rio);
    await p.click('a.button.primary[href^="/login"]');
    await login(rio, 'rio@gemeente-dordrecht.example');
    await p.waitForSelector('.prejoin-form button[type=submit]');
    await p.evaluate(() => { window.__kt.joinClicked = performance.now(); });
    await p.click('.prejoin-form button[type=submit]');
    await p.waitForSelector('.room[data-phase="in"]');
  });

  await step('with only the chair in the room, the rio leaves and comes back five times, each join timed', async () => {
    await rejoins(rio, 'one other publishing', results);
    await expectMediaFlowing(rio, { videos: 1, audios: 1 });
  });

  await step('the guest opens her link, accepts confidentiality and waits in the lobby', async () => {
    const p = guest.page;
    await p.goto(links.guest);
    await p.waitForSelector('input[name=confidentiality]');
    await p.waitForFunction(() => document.querySelector('.preview-video')?.videoWidth > 0);
    await shot(guest, 'prejoin-guest-confidentiality');
    await scan(guest, 'pre-join (guest)');
    await p.check('input[name=confidentiality]');
    await p.evaluate(() => { window.__kt.joinClicked = performance.now(); });
    await p.click('.prejoin-form button[type=submit]');
    await p.waitForSelector('.room[data-phase="lobby"]');
    await shot(guest, 'lobby-guest');
    await scan(guest, 'lobby');
  });

  await step('the client opens his link and waits in his own, plain lobby', async () => {
    const p = client.page;
    await p.goto(links.client);
    await p.waitForSelector('.prejoin.plain .prejoin-form button[type=submit]');
    await shot(client, 'prejoin-client');
    await scan(client, 'pre-join (client)');
    await p.evaluate(() => { window.__kt.joinClicked = performance.now(); });
    await p.click('.prejoin-form button[type=submit]');
    await p.waitForSelector('.client-room[data-phase="lobby"]');
    await shot(client, 'lobby-client');
    await scan(client, 'lobby (client)');
  });

  await step('the chair admits the guest and the client from the lobby', async () => {
    const p = chair.page;
    await p.waitForSelector('.chair-panel li.waiting >> nth=1');
    await shot(chair, 'room-chair-lobby-waiting');
    await p.click('button[aria-label="Willem Bos toelaten"]');
    await p.click('button[aria-label="Daan V. (fictief) toelaten"]');
    await guest.page.waitForSelector('.room[data-phase="in"]');
    await client.page.waitForSelector('.client-room[data-phase="in"]');
  });

  await step('every participant sees at least two remote videos decoding and hears audio', async () => {
    const figures = await Promise.all([chair, rio, guest, client].map((who) => expectMediaFlowing(who)));
    results.media = Object.fromEntries([chair, rio, guest, client].map((who, i) => [who.name, figures[i]]));
    for (const who of [chair, rio, guest, client]) {
      const tm = await timings(who.page);
      results.joins.push({
        participant: who.name,
        open_to_first_frame_ms: tm.firstFrame === null ? null : Math.round(tm.firstFrame),
        join_click_to_first_frame_ms: tm.firstFrame === null || tm.joinClicked === null ? null : Math.round(tm.firstFrame - tm.joinClicked),
        admitted_to_first_frame_ms: tm.firstFrame === null || tm.admitted === null ? null : Math.round(tm.firstFrame - tm.admitted),
      });
    }
    await shot(chair, 'room-chair');
    await scan(chair, 'conference room (chair)');
    await shot(guest, 'room-guest');
    await scan(guest, 'conference room (guest)');
    await shot(client, 'room-client');
    await scan(client, 'conference room (client)');
  });


  await step('with three others in the room, the rio leaves and comes back five times, each join timed', async () => {
    await rejoins(rio, 'three others publishing', results);
    results.sending = Object.fromEntries(await Promise.all([chair, rio, guest, client].map(async (who) => [who.name, await sendingVideo(who.page)])));
    log(`video sent: ${JSON.stringify(results.sending)}`);
    await expectMediaFlowing(rio);
  });

  await step('a person whose camera and microphone are denied is told why, joins to listen, and is removed', async () => {
    await chair.page.evaluate(async (m) => {
      const res = await fetch(`/api/meetings/${m}/invites`, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ kind: 'guest', name: 'Luuk Luisteraar', organisation: 'Reclassering' }) });
      window.__listenerLink = (await res.json()).url;
    }, meetingId);
    const link = await chair.page.evaluate(() => window.__listenerLink);
    const listener = await person(browser, 'listener (devices denied)', base);
    results.people.push(listener);
    await listener.context.addInitScript(() => {
      navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('denied by the test', 'NotAllowedError'));
    });
    const p = listener.page;
    await p.goto(link);
    await p.waitForSelector('.device-problems .warning-box:has-text("geen toegang")');
    await p.waitForSelector('.device-problems:has-text("U kunt toch deelnemen")');
    await shot(listener, 'prejoin-devices-denied');
    await scan(listener, 'pre-join (devices denied)');
    await p.check('input[name=confidentiality]');
    await p.click('.prejoin-form button[type=submit]');
    await p.waitForSelector('.room[data-phase="lobby"]');
    await chair.page.click('button[aria-label="Luuk Luisteraar toelaten"]');
    await p.waitForSelector('.room[data-phase="in"]');
    await expectMediaFlowing(listener, { videos: 2, audios: 2 });
    const people = chair.page.locator('.chair-panel details.people');
    if (!(await people.evaluate((el) => el.open))) await people.locator('summary').click();
    await chair.page.click('button[aria-label="Luuk Luisteraar verwijderen"]');
    await chair.page.click('dialog button[value=yes]');
    await p.waitForSelector('.room[data-phase="removed"]');
    await listener.context.close();
    results.people = results.people.filter((x) => x !== listener);
  });

  await step('the chair writes the housing situation and adds an action for the housing corporation', async () => {
    const p = chair.page;
    const housing = p.locator('details.domain-editor[data-domain="housing"]');
    if (!(await housing.evaluate((el) => el.open))) await housing.locator(':scope > summary').click();
    await housing.locator('textarea[name=situation]').fill(HOUSING_SITUATION);
    await housing.locator('button:has-text("Opslaan")').first().click();
    // "Opgeslagen" at once, then "Laatst opgeslagen door …" when the live reload arrives.
    await housing.locator('.save-status', { hasText: SAVED }).waitFor();
    await housing.locator('summary:has-text("Afspraak toevoegen")').click();
    await housing.locator('textarea[name=description]').fill(ACTION);
    const woonbron = await housing.locator('select[name=owner]').evaluate((s) => [...s.options].find((o) => o.text === 'Woonbron').value);
    await housing.locator('select[name=owner]').selectOption(woonbron);
    await housing.locator('input[name=due_date]').fill(dutchDate(10));
    await housing.locator('form[aria-label^="Afspraak toevoegen"] button[type=submit]').click();
    await housing.locator(`.actions-table td:has-text("${ACTION}")`).waitFor();
  });

  await step('the other pages show the new minutes without reloading', async () => {
    await until('the guest sees the housing situation and the action', () => guest.page.evaluate(([s, a]) => {
      const el = document.querySelector('details.domain-editor[data-domain="housing"]');
      return el && el.textContent.includes(s) && el.textContent.includes(a) && el.textContent.includes('Woonbron');
    }, [HOUSING_SITUATION, ACTION]), 15_000);
    await until('the rio sees the housing situation and the action', () => rio.page.evaluate(([s, a]) => {
      const el = document.querySelector('details.domain-editor[data-domain="housing"]');
      return el && el.querySelector('textarea[name=situation]').value === s && el.textContent.includes(a);
    }, [HOUSING_SITUATION, ACTION]), 15_000);
    await guest.page.locator('details.domain-editor[data-domain="housing"]').evaluate((el) => { el.open = true; el.closest('.room-side').scrollTop = el.offsetTop; });
    await shot(guest, 'room-guest-live-minutes');
  });

  await step('a lost connection shows itself and comes back by itself, media included', async () => {
    const p = guest.page;
    await p.evaluate(() => window.__sockets.filter((s) => s.readyState === WebSocket.OPEN).forEach((s) => s.close()));
    await p.waitForSelector('#connection-banner.lost:not([hidden])', { timeout: 5000 });
    await shot(guest, 'connection-lost');
    await p.waitForSelector('#connection-banner.restored', { timeout: 20_000 });
    await p.waitForSelector('.room[data-phase="in"]');
    await expectMediaFlowing(guest);
    await expectMediaFlowing(chair);
  });

  await step('the chair sends the client out: his page says so and he receives no media', async () => {
    await chair.page.click('button:has-text("Cliënt even naar buiten")');
    await client.page.waitForSelector('.client-room[data-phase="out"] >> text=Even pauze voor jou');
    await until('the others no longer see the client', () => guest.page.evaluate(() => document.querySelectorAll('.tile').length === 3), 10_000);
    await new Promise((r) => setTimeout(r, 1500));
    const before = await receivedBytes(client);
    await new Promise((r) => setTimeout(r, 3000));
    const after = await receivedBytes(client);
    log(`client received ${after - before} bytes in 3 s while out`);
    assert(after === before, `the client receives no media while out (got ${after - before} bytes in 3 s)`);
    assert(!(await client.page.locator('.tile').count()), 'the client sees no tiles while out');
    await shot(client, 'client-sent-out');
    await scan(client, 'client sent out');
    await shot(chair, 'room-chair-debrief');
  });

  await step('the chair writes the new action in plain words for the client, on its row in the minutes', async () => {
    const p = chair.page;
    const id = await p.locator(`details.domain-editor[data-domain="housing"] tr:has-text("${ACTION}")`).first().getAttribute('data-action-id');
    const row = p.locator(`details.domain-editor[data-domain="housing"] tr[data-detail-of="${id}"] details.client-words-row`);
    await row.locator('summary').click();
    await row.locator('textarea[name=client_text]').fill(CLIENT_ACTION);
    await row.locator('button:has-text("Tekst opslaan")').click();
    await row.locator('.save-status', { hasText: SAVED }).waitFor();
    await shot(chair, 'room-chair-client-text');
  });

  await step('the chair brings the client back; media flows again and his plan shows the new action in his words', async () => {
    await chair.page.click('button:has-text("Cliënt terughalen")');
    await client.page.waitForSelector('.client-room[data-phase="in"]');
    await expectMediaFlowing(client);
    await until('the client plan says in his words what Woonbron will do', () => client.page.evaluate((a) => document.querySelector('.plan')?.textContent.includes(a), CLIENT_ACTION), 15_000);
    const plan = await client.page.locator('.plan').textContent();
    assert(!plan.includes(ACTION), 'the client plan never shows the professionals\' wording of the action');
    assert(!plan.includes('Netwerkberaad'), 'the client plan never shows the professionals\' purpose');
    await shot(client, 'room-client-plan');
  });

  await step('the chair finalises; everyone is told; the printable minutes contain the action', async () => {
    const p = chair.page;
    await p.click('.minutes-footer button:has-text("Verslag vaststellen")');
    await p.click('dialog button[value=yes]');
    for (const who of [chair, rio, guest, client]) await who.page.waitForSelector('.room[data-phase="ended"]');
    await p.click('a:has-text("Naar het verslag")');
    await p.waitForSelector('.minutes-page .stamp:not(.draft)');
    const text = await p.locator('.minutes-page').textContent();
    assert(text.includes(ACTION) && text.includes(HOUSING_SITUATION), 'the finalised minutes page shows the action and the situation');
    await shot(chair, 'minutes-finalised', true);
    await scan(chair, 'finalised minutes');
    await p.emulateMedia({ media: 'print' });
    await shot(chair, 'minutes-print', true);
    await p.emulateMedia({ media: 'screen' });
    const printable = await p.evaluate((m) => fetch(`/api/meetings/${m}/minutes`).then((r) => r.text()), meetingId);
    assert(printable.includes(ACTION), 'the server-rendered printable minutes contain the action');
  });

  await step('a late write to the finalised minutes is refused', async () => {
    const statuses = await chair.page.evaluate(async ([m, c, day]) => {
      const put = await fetch(`/api/meetings/${m}/domains/housing`, { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ situation: 'te laat' }) });
      const act = await fetch(`/api/cases/${c}/actions`, { method: 'POST', headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ domain: 'housing', description: 'te laat', owner_is_client: true, due_date: day, meeting_id: m }) });
      return [put.status, (await put.json()).error, act.status];
    }, [meetingId, caseUrl.split('/').pop(), dutchDate(5)]);
    assert(statuses[0] === 409 && statuses[1] === 'minutes_finalised' && statuses[2] === 409, `late writes get 409, got ${statuses}`);
    const text = await chair.page.evaluate((m) => fetch(`/api/meetings/${m}/minutes`).then((r) => r.text()), meetingId);
    assert(!text.includes('te laat'), 'the record did not change');
  });

  await step('the chair closes the case: it turns read-only, says so and can be reopened', async () => {
    const p = chair.page;
    await p.goto(caseUrl);
    await p.click('button:has-text("Casus sluiten")');
    await p.click('dialog button[value=yes]');
    await p.waitForSelector('#status-title:has-text("Casus gesloten")');
    assert(!(await p.locator('a:has-text("Beraad plannen")').count()), 'a closed case offers no scheduling');
    assert(!(await p.locator('.actions-table select').count()), 'a closed case offers no status changes');
    const refused = await p.evaluate((c) => fetch(`/api/cases/${c}/actions`, { method: 'POST', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ domain: 'id', description: 'na sluiten', owner_is_client: true, due_date: '2030-01-01' }) }).then(async (r) => [r.status, (await r.json()).error]),
    caseUrl.split('/').pop());
    assert(refused[0] === 409 && refused[1] === 'case_closed', `writes to a closed case get 409 case_closed, got ${refused}`);
    await shot(chair, 'case-closed', true);
    await scan(chair, 'closed case');
    await p.click('button:has-text("Casus heropenen")');
    await p.waitForSelector('#status-title:has-text("Casus open")');
    await p.waitForSelector('a:has-text("Beraad plannen")');
  });
}

/**
 * Reloads a participant's room page and joins again, `count` times: from the click on join (the
 * camera is on by then) to the first decoded remote frame, with the first time each step of the
 * join happened, on the page's clock.
 */
async function rejoins(who, condition, results, count = 5) {
  const p = who.page;
  const runs = [];
  for (let i = 0; i < count; i += 1) {
    await p.reload();
    await p.waitForSelector('.prejoin-form button[type=submit]');
    await p.waitForFunction(() => document.querySelector('.preview-video')?.videoWidth > 0);
    await p.evaluate(() => { window.__kt.joinClicked = performance.now(); });
    await p.click('.prejoin-form button[type=submit]');
    await p.waitForFunction(() => window.__kt.firstFrame !== null, null, { timeout: 15_000 });
    const tm = await timings(p);
    const since = (ms) => Math.round(ms - tm.joinClicked);
    runs.push({
      clicked_at: new Date(tm.origin + tm.joinClicked).toISOString(),
      join_click_to_first_frame_ms: since(tm.firstFrame),
      steps: Object.fromEntries(Object.entries(tm.marks).filter(([, at]) => at >= tm.joinClicked).map(([k, at]) => [k, since(at)])),
    });
  }
  results.rejoins.push({ who: who.name, condition, runs });
  log(`${who.name} joins again with ${condition}, click → first frame: ${runs.map((r) => r.join_click_to_first_frame_ms).join(', ')} ms`);
}
