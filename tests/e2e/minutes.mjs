// Minutes that tell the truth and invites as a list (issue 14, points 3, 6 and 9), each person in
// their own browser context: the casemanager schedules a conference (a second one in the same
// hour is refused with a plain message), invites a guest and the client, finds every invite in
// the list with its state and link, prints the client's sheet for the prison terminal, sees the
// guest go from "not opened" to "in the lobby" to "in the conference", finalises, and reads a
// record that says when it was held, who was there from when to when and who finalised it, with
// the PDF for the case file. Every new screen is scanned with axe and photographed.

import { person } from './lib/browser.mjs';
import { screens } from './lib/screens.mjs';
import { step, until, assert, dutchDate } from './lib/check.mjs';

const PURPOSE = 'Derde netwerkberaad: afspraken over de eerste week na vrijlating.';

export async function minutes({ browser, base, shots, results }) {
  const { scan, shot, login } = screens({ results, shots });
  const chair = await person(browser, 'casemanager (minutes and invites)', base);
  const guest = await person(browser, 'guest (Schuldhulpmaatje)', base, { width: 1280, height: 720 });
  results.people.push(chair, guest);
  const day = dutchDate(5);
  const state = (name) => chair.page.locator(`.invite-table tbody tr:has-text("${name}") .badge`).textContent();

  const meetingId = await step('the casemanager schedules a conference; another in the same hour is refused in plain words', async () => {
    const p = chair.page;
    await p.goto(`${base}/login`);
    await login(chair, 'casemanager@pi-dordrecht.example');
    await p.waitForSelector('.cases-table');
    await p.click('.cases-table tbody a');
    await p.waitForSelector('#domains-title');
    const caseUrl = p.url();
    await p.click('a[href$="/schedule"]');
    await p.waitForSelector('textarea[name=purpose]');
    await p.fill('input[name=date]', day);
    await p.fill('input[name=time]', '14:00');
    await p.fill('textarea[name=purpose]', PURPOSE);
    await p.click('form button[type=submit]');
    await p.waitForSelector('#invites-title');
    const id = new URL(p.url()).pathname.split('/')[2];
    await p.goto(caseUrl);
    await p.click('a[href$="/schedule"]');
    await p.waitForSelector('textarea[name=purpose]');
    await p.fill('input[name=date]', day);
    await p.fill('input[name=time]', '14:30');
    await p.click('form button[type=submit]');
    await p.waitForSelector('.form-status :text("Deze casus heeft rond die tijd al een netwerkberaad")');
    await shot(chair, 'schedule-overlap-refused');
    await scan(chair, 'schedule (overlap refused)');
    return id;
  });

  const links = await step('every invite stays in the list with its state and its link', async () => {
    const p = chair.page;
    await p.goto(`${base}/meetings/${meetingId}`);
    await p.waitForSelector('#invites-title');
    const created = async (section) => {
      const before = await p.$eval('#invite-link', (el) => el.value).catch(() => null);
      await p.click(`section[aria-labelledby=${section}] button[type=submit]`);
      return until('a new invite link', async () => {
        const now = await p.$eval('#invite-link', (el) => el.value).catch(() => null);
        return now && now !== before ? now : null;
      }, 10_000);
    };
    await p.fill('section[aria-labelledby=inv-guest] input[name=name]', 'Gerda Gast');
    await p.fill('section[aria-labelledby=inv-guest] input[name=organisation]', 'Schuldhulpmaatje');
    const guestLink = await created('inv-guest');
    const clientLink = await created('inv-client');
    await p.reload();
    await p.waitForSelector('.invite-table tbody tr >> nth=1');
    assert((await state('Gerda Gast')) === 'Nog niet geopend', `the guest's invite is not opened, got ${await state('Gerda Gast')}`);
    assert(await p.locator('#invite-no-smtp').count() === 1, 'without a mail server the list says why there is no e-mail button');
    assert(!(await p.locator('.invite-table button:has-text("E-mailen")').count()), 'no e-mail button without a mail server');
    await p.locator('.reschedule summary').click();
    await shot(chair, 'invite-list', true);
    await scan(chair, 'invite list and moving the conference');
    await p.locator('.reschedule summary').click();
    return { guest: guestLink, client: clientLink };
  });

  await step('the chair prints the client\'s invite sheet for the prison terminal: link, QR code, plain steps', async () => {
    const href = await chair.page.locator('.invite-table tbody tr:has-text("Daan") a:has-text("Afdrukken voor de PI")').getAttribute('href');
    const sheet = await chair.context.newPage();
    await sheet.goto(`${base}${href}`);
    await sheet.waitForSelector('svg.qr');
    const text = await sheet.locator('main').textContent();
    assert(text.includes(links.client), 'the sheet writes the link out');
    assert(text.includes('Scan de code met de camera') && text.includes('Wacht tot de voorzitter je binnenlaat'), 'plain steps in Dutch');
    const page = chair.page;
    chair.page = sheet;
    await shot(chair, 'invite-sheet-pi', true);
    await scan(chair, 'invite sheet (PI terminal)');
    chair.page = page;
    await sheet.close();
  });

  await step('the guest opens her link and waits; the chair, in the room, sees her in the lobby and lets her in', async () => {
    const room = await chair.context.newPage();
    await room.goto(`${base}/meetings/${meetingId}/room`);
    await room.waitForSelector('.prejoin-form button[type=submit]');
    await room.waitForFunction(() => document.querySelector('.preview-video')?.videoWidth > 0);
    await room.click('.prejoin-form button[type=submit]');
    await room.waitForSelector('.room[data-phase="in"]');
    const g = guest.page;
    await g.goto(links.guest);
    await g.waitForSelector('input[name=confidentiality]');
    await g.waitForFunction(() => document.querySelector('.preview-video')?.videoWidth > 0);
    await g.check('input[name=confidentiality]');
    await g.click('.prejoin-form button[type=submit]');
    await g.waitForSelector('.room[data-phase="lobby"]');
    await chair.page.reload();
    await until('the list shows the guest in the lobby', async () => (await state('Gerda Gast')) === 'In de wachtkamer', 15_000);
    await chair.page.locator('#invite-list').scrollIntoViewIfNeeded();
    await shot(chair, 'invite-list-lobby');
    await room.click('button[aria-label="Gerda Gast toelaten"]');
    await g.waitForSelector('.room[data-phase="in"]');
    await until('the list shows the guest in the conference', async () => (await state('Gerda Gast')) === 'In het beraad', 15_000);
    await chair.page.locator('#invite-list').scrollIntoViewIfNeeded();
    await shot(chair, 'invite-list-in-room');
    await scan(chair, 'invite list (live states)');
    await room.click('.minutes-footer button:has-text("Verslag vaststellen")');
    await room.click('dialog button[value=yes]');
    await g.waitForSelector('.room[data-phase="ended"]');
    await room.close();
  });

  await step('the finalised record says when it was held, who was there from when to when and who finalised it; the PDF downloads', async () => {
    const p = chair.page;
    await p.goto(`${base}/meetings/${meetingId}/minutes`);
    await p.waitForSelector('.minutes-page .stamp:not(.draft)');
    const facts = await p.locator('.minutes-page dl.facts').textContent();
    assert(facts.includes('Begonnen') && facts.includes('Afgelopen') && facts.includes('Vastgesteld') && facts.includes('Inge de Wit (PI Dordrecht)'), `held and finalised facts, got ${facts}`);
    const attendance = await p.locator('.minutes-page ul.attendance').textContent();
    assert(attendance.includes('Inge de Wit, PI Dordrecht (Casemanager)') && attendance.includes('Gerda Gast, Schuldhulpmaatje (Gast)'), `attendance with roles, got ${attendance}`);
    assert(/\d{2}:\d{2}–/.test(attendance), `attendance with times, got ${attendance}`);
    const hash = (await p.locator('#record-hash').textContent()).trim();
    assert(/^[0-9a-f]{64}$/.test(hash), `the content hash is shown, got ${hash}`);
    const [download] = await Promise.all([p.waitForEvent('download'), p.click('#minutes-pdf')]);
    const path = await download.path();
    const { readFileSync } = await import('node:fs');
    const bytes = readFileSync(path);
    assert(bytes.subarray(0, 8).toString() === '%PDF-1.4', 'the download is a PDF');
    assert(bytes.toString('latin1').includes(hash), 'the PDF carries the content hash');
    await shot(chair, 'minutes-held-and-finalised', true);
    await scan(chair, 'finalised minutes (held, attendance, PDF)');
    await p.setViewportSize({ width: 390, height: 844 });
    await p.reload();
    await p.waitForSelector('.minutes-page .stamp:not(.draft)');
    const widths = await p.evaluate(() => [...document.querySelectorAll('.minutes-page dl.facts, #record-hash, .minutes-page ul.attendance')]
      .map((el) => el.getBoundingClientRect().right <= document.documentElement.clientWidth && el.scrollWidth <= el.clientWidth + 1));
    assert(widths.length === 3 && widths.every(Boolean), `the facts, the hash and the attendance fit a phone's width, got ${widths}`);
    await shot(chair, 'minutes-phone', true);
    await p.setViewportSize({ width: 1366, height: 860 });
  });
}
