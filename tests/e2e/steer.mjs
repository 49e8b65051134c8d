// Between meetings and steering (DESIGN.md flows 4 and 5), each person in their own browser
// context: the steering group runs the rules from its queue, filters it, takes an escalation
// under review and decides it (and marks another as a systemic obstacle); the casemanager's
// case shows the decision, the bell and the notifications say so, the next conference has it
// on its agenda, and an action is escalated by hand; the rio keeps the obstacles register and
// reads the figures; the steering group closes. Every new screen is scanned and photographed.

import { person } from './lib/browser.mjs';
import { screens } from './lib/screens.mjs';
import { step, until, assert, dutchDate } from './lib/check.mjs';

const ASSIGN_NOTE = 'Gemeente Dordrecht regelt de urgentie en een tijdelijke kamer in de maatschappelijke opvang.';
const OBSTACLE_NOTE = 'Zonder toestemming van de cliënt geeft het CJIB geen overzicht; dat speelt in meer casussen.';
const OBSTACLE_TITLE = 'CJIB-overzicht alleen met schriftelijke toestemming van de cliënt';
const RIO_OBSTACLE = 'Geen briefadres zonder vaste woonplaats';
const MANUAL_REASON = 'De bijstandsaanvraag ligt stil; zonder besluit geen inkomen op de dag van vrijlating.';

export async function steer({ browser, base, shots, results }) {
  const { scan, shot, login } = screens({ results, shots });
  const steering = await person(browser, 'steering group', base);
  const manager = await person(browser, 'casemanager (between meetings)', base);
  const rio = await person(browser, 'rio (register and figures)', base);
  const partner = await person(browser, 'partner on the case (Woonbron)', base);
  results.people.push(steering, manager, rio, partner);
  const rows = (who) => who.page.locator('.escalation-table tbody tr');

  await step('the steering group lands on its queue (no case list) and runs the rules from there', async () => {
    const p = steering.page;
    await p.goto(`${base}/login`);
    await login(steering, 'stuurgroep@zvh-zhz.example');
    await p.waitForSelector('h1:has-text("Wachtrij van de stuurgroep")');
    const nav = await p.locator('#site-header nav a').allTextContents();
    assert(nav.join('|') === 'Opschalingen|Knelpunten|Cijfers', `steering's menu, got ${nav}`);
    assert(!(await p.locator('#site-header .bell').count()), 'the steering group is on no case and has no bell');
    await p.waitForSelector('.queue-count:has-text("Aantal opschalingen: 0")');
    await shot(steering, 'queue-empty');
    await p.click('button:has-text("Regels nu toepassen")');
    await p.waitForSelector('.run-engine [role=status]:has-text("nieuwe opschalingen: 2")');
    await until('two escalations in the queue', async () => (await rows(steering).count()) === 2, 10_000);
    const reasons = await p.locator('.escalation-table tbody td:nth-child(4)').allTextContents();
    assert(reasons.some((r) => r.includes('Over de datum')) && reasons.some((r) => r.includes('Geblokkeerd')), `overdue and blocked, got ${reasons}`);
    await shot(steering, 'queue', true);
    await scan(steering, 'steering queue');
    await p.click('button:has-text("Regels nu toepassen")');
    await p.waitForSelector('.run-engine [role=status]:has-text("nieuwe opschalingen: 0")');
    assert((await rows(steering).count()) === 2, 'running the rules again opens nothing twice');
  });

  await step('the queue filters by reason and sorts, keeping focus on the form and the filters in the URL', async () => {
    const p = steering.page;
    await p.selectOption('select[name=reason]', 'blocked');
    await p.selectOption('select[name=sort]', 'newest');
    await p.focus('.filter-form button[type=submit]');
    await p.keyboard.press('Enter');
    await until('only the blocked escalation', async () => (await rows(steering).count()) === 1, 10_000);
    assert(new URL(p.url()).search === '?reason=blocked&sort=newest', `filters in the URL, got ${p.url()}`);
    assert(await p.evaluate(() => document.activeElement.matches('.filter-form button[type=submit]')), 'focus stays on the filter button');
    assert(await p.locator('th[aria-sort=descending]:has-text("Opgeschaald")').count() === 1, 'the sorted column is announced');
    await shot(steering, 'queue-filtered');
    await p.click('.filter-form button[type=reset]');
    await until('both escalations again', async () => (await rows(steering).count()) === 2, 10_000);
  });

  await step('the steering group takes the overdue escalation under review (a colleague was quicker: told so) and assigns it with a due date', async () => {
    const p = steering.page;
    await p.click('.escalation-table tbody tr:has-text("Over de datum") th a');
    await p.waitForSelector('h1:has-text("Opschaling: Daan V. (fictief), Onderdak")');
    const text = await p.locator('main').textContent();
    assert(text.includes('Inschrijven als woningzoekende') && text.includes('volgens de regels'), 'the action and the engine as opener');
    assert(!(await p.locator('main a[href^="/cases/"]').count()), 'no link into the case for the steering group');
    await shot(steering, 'escalation-open', true);
    await scan(steering, 'escalation (open, steering)');
    // A colleague of the steering group takes it under review in another window first.
    const id = new URL(p.url()).pathname.split('/').pop();
    assert(await p.evaluate((e) => fetch(`/api/escalations/${e}/review`, { method: 'POST' }).then((r) => r.status), id) === 200, 'review by a colleague');
    await p.click('button:has-text("In behandeling nemen")');
    await p.waitForSelector('.workflow .error-box:has-text("Iemand anders heeft deze opschaling intussen behandeld")');
    await p.reload();
    await p.waitForSelector('.status-line .badge:has-text("In behandeling")');
    assert(!(await p.locator('button:has-text("In behandeling nemen")').count()), 'under review: only the decision is left');
    await p.waitForSelector('.timeline li:has-text("In behandeling genomen")');
    await p.check('input[name=decision][value=assigned]');
    const org = await p.$eval('select[name=assigned_organisation_id]', (s) => [...s.options].find((o) => o.text === 'Gemeente Dordrecht').value);
    await p.selectOption('select[name=assigned_organisation_id]', org);
    await p.fill('input[name=assigned_due_date]', dutchDate(14));
    await p.fill('textarea[name=note]', ASSIGN_NOTE);
    assert(await p.locator('select[name=obstacle_id]').isHidden(), 'the obstacle fields stay hidden for an assignment');
    await shot(steering, 'escalation-deciding', true);
    await scan(steering, 'decision form');
    await p.click('.decision-form button[type=submit]');
    await p.waitForSelector('.status-line .badge:has-text("Besloten")');
    const decided = await p.locator('#decision-title + .decision').textContent();
    assert(decided.includes('Belegd bij een organisatie') && decided.includes('Gemeente Dordrecht') && decided.includes(ASSIGN_NOTE), `decision shown, got ${decided}`);
    await shot(steering, 'escalation-decided', true);
    await scan(steering, 'escalation (decided)');
  });

  await step('the blocked escalation is decided straight away as a new systemic obstacle', async () => {
    const p = steering.page;
    await p.goto(`${base}/escalations`);
    await p.click('.escalation-table tbody tr:has-text("Geblokkeerd") th a');
    await p.waitForSelector('h1:has-text("Schulden")');
    await p.check('input[name=decision][value=obstacle]');
    await p.fill('input[name=title]', OBSTACLE_TITLE);
    await p.fill('textarea[name=note]', OBSTACLE_NOTE);
    await p.click('.decision-form button[type=submit]');
    await p.waitForSelector(`.decision a:has-text("${OBSTACLE_TITLE}")`);
    await p.click(`.decision a:has-text("${OBSTACLE_TITLE}")`);
    await p.waitForSelector(`h1:has-text("${OBSTACLE_TITLE}")`);
    assert((await p.locator('.facts').textContent()).includes('Casussen geraakt1'), 'the obstacle counts one case');
    assert((await rows(steering).count()) === 1, 'the linked escalation is listed');
    await shot(steering, 'obstacle-detail', true);
    await scan(steering, 'obstacle detail');
  });

  await step('the casemanager sees the bell, the readiness warnings, and the decision on the case', async () => {
    const p = manager.page;
    await p.goto(`${base}/login`);
    await login(manager, 'casemanager@pi-dordrecht.example');
    await p.waitForSelector('.cases-table');
    await until('the bell counts unread notifications', async () => /\d+ ongelezen/.test(await p.locator('.bell').textContent()), 10_000);
    const warnings = await p.locator('.cases-table .readiness-list li').allTextContents();
    assert(warnings.length > 0, 'the case list shows readiness warnings');
    await p.click('.cases-table tbody th a');
    await p.waitForSelector('#esc-title');
    assert(await p.locator('.readiness li').count() === warnings.length, 'the case shows the same warnings as the list');
    const esc = await p.locator('.escalation-table').textContent();
    assert(esc.includes(ASSIGN_NOTE) && esc.includes('Gemeente Dordrecht') && esc.includes('Besloten'), `the case shows the decision, got ${esc}`);
    assert(esc.includes(OBSTACLE_TITLE), 'and the obstacle decision');
    await p.locator('#esc-title').scrollIntoViewIfNeeded();
    await shot(manager, 'case-escalations');
    await shot(manager, 'case-with-readiness-and-escalations', true);
    await scan(manager, 'case with escalations');
  });

  await step('the decision is on the agenda of the case\'s next conference under "Besluiten stuurgroep"', async () => {
    const p = manager.page;
    const next = await p.evaluate(async () => {
      const id = location.pathname.split('/').pop();
      const c = await (await fetch(`/api/cases/${id}`)).json();
      return c.meetings.filter((m) => !m.finalised_at).sort((a, b) => a.scheduled_at.localeCompare(b.scheduled_at))[0].id;
    });
    await p.goto(`${base}/meetings/${next}/minutes`);
    await p.waitForSelector('.minutes-page h4:has-text("Besluiten stuurgroep")');
    assert((await p.locator('.minutes-page').textContent()).includes(ASSIGN_NOTE), 'the decision note is on the agenda');
    await p.goBack();
    await p.waitForSelector('#esc-title');
  });

  await step('the casemanager escalates an action by hand, with a reason', async () => {
    const p = manager.page;
    const button = p.locator('button[aria-label^="Opschalen naar de stuurgroep: Bijstandsaanvraag"]');
    const before = await p.locator('.escalation-table tbody tr').count();
    await button.focus();
    await p.keyboard.press('Enter');
    await p.waitForSelector('dialog[open] textarea:focus');
    await p.keyboard.press('Escape');
    await p.waitForSelector('dialog', { state: 'detached' });
    assert(await p.evaluate(() => document.activeElement.getAttribute('aria-label')?.startsWith('Opschalen naar de stuurgroep: Bijstandsaanvraag')),
      'Escape cancels and gives focus back to the button');
    assert(await p.locator('.escalation-table tbody tr').count() === before, 'cancelling escalates nothing');
    await p.keyboard.press('Enter');
    await p.waitForSelector('dialog[open] textarea');
    await p.fill('dialog[open] textarea', MANUAL_REASON);
    await shot(manager, 'escalate-by-hand-dialog');
    await scan(manager, 'escalate by hand (dialog)');
    await p.click('dialog[open] button[value=yes]');
    await p.waitForSelector(`.escalation-table td:has-text("${MANUAL_REASON}")`);
    assert(await p.locator('a[aria-label^="Ligt bij de stuurgroep: Bijstandsaanvraag"]').count() === 1, 'the action now links to its escalation');
  });

  await step('the casemanager opens the decision from the notifications, read-only', async () => {
    const p = manager.page;
    await p.click('.bell');
    await p.waitForSelector('h1:has-text("Meldingen")');
    await p.waitForSelector('.notification[data-kind=decision]');
    await shot(manager, 'notifications');
    await scan(manager, 'notifications');
    await p.click('.notification.unread[data-kind=decision] a');
    await p.waitForSelector('h1:has-text("Opschaling: Daan V. (fictief)")');
    assert(!(await p.locator('.workflow').count()), 'no workflow for a case member');
    await shot(manager, 'escalation-read-only', true);
    await scan(manager, 'escalation (case member)');
  });

  await step('the partner on the case follows an e-mail\'s link to a decision, then marks everything read', async () => {
    const p = partner.page;
    await p.goto(`${base}/login`);
    await login(partner, 'woning@woonbron.example');
    await p.waitForSelector('.cases-table');
    await until('the partner has unread notifications', async () => /\d+ ongelezen/.test(await p.locator('.bell').textContent()), 10_000);
    const [unread, decision] = await p.evaluate(async () => {
      const list = await (await fetch('/api/notifications?unread=true')).json();
      return [list.length, list.find((n) => n.kind === 'decision').id];
    });
    await p.goto(`${base}/notifications/${decision}`);
    await p.waitForSelector('h1:has-text("Opschaling: Daan V. (fictief)")');
    assert(new URL(p.url()).pathname.startsWith('/escalations/'), `the e-mail link leads to the escalation, got ${p.url()}`);
    await until('the opened notification is read', async () => (await p.locator('.bell').textContent()).includes(`${unread - 1} ongelezen`), 10_000);
    await p.click('.bell');
    await p.click('button:has-text("Alles als gelezen markeren")');
    await p.waitForSelector('.lead:has-text("geen ongelezen meldingen")');
    assert((await p.locator('.bell').textContent()).includes('geen ongelezen'), 'the bell shows none unread');
  });

  await step('the rio adds an obstacle to the register, changes its status, and reads the figures', async () => {
    const p = rio.page;
    await p.goto(`${base}/login`);
    await login(rio, 'rio@gemeente-dordrecht.example');
    await p.waitForSelector('.cases-table');
    await p.click('#site-header a:has-text("Knelpunten")');
    await p.waitForSelector('h1:has-text("Knelpunten")');
    assert(await p.locator(`.obstacles-table a:has-text("${OBSTACLE_TITLE}")`).count() === 1, 'the steering group\'s obstacle is in the register');
    await p.click('summary:has-text("Knelpunt toevoegen")');
    await p.fill('.obstacle-form input[name=title]', RIO_OBSTACLE);
    await p.fill('.obstacle-form textarea[name=description]', 'Zonder briefadres geen ID-kaart, zonder ID-kaart geen uitkering of bankrekening.');
    await p.selectOption('.obstacle-form select[name=domain]', 'id');
    await shot(rio, 'obstacles-register-add', true);
    await scan(rio, 'obstacles register (adding)');
    await p.click('.obstacle-form button[type=submit]');
    await p.waitForSelector(`h1:has-text("${RIO_OBSTACLE}")`);
    await p.click('summary:has-text("Knelpunt wijzigen")');
    await p.selectOption('.obstacle-form select[name=status]', 'in_progress');
    await p.click('.obstacle-form button[type=submit]');
    await p.waitForSelector('.status-line .badge:has-text("Wordt aangepakt")');
    await p.click('.breadcrumb a');
    await p.waitForSelector('.obstacles-table');
    await shot(rio, 'obstacles-register', true);
    await scan(rio, 'obstacles register');

    await p.click('#site-header a:has-text("Opschalingen")');
    await p.waitForSelector('h1:has-text("Opschalingen")');
    await until('one escalation still to handle', async () => (await rows(rio).count()) === 1, 10_000);
    await p.selectOption('select[name=status]', 'all');
    await p.click('.filter-form button[type=submit]');
    await until('the rio sees all three of his municipality\'s escalations', async () => (await rows(rio).count()) === 3, 10_000);
    assert(!(await p.locator('button:has-text("Regels nu toepassen")').count()), 'only steering and admin run the rules');
    await shot(rio, 'queue-coordinator');
    await scan(rio, 'queue (coordinator, read-only)');
    await p.click('.escalation-table tbody tr:has-text("Handmatig opgeschaald") th a');
    await p.waitForSelector('#link-title');
    assert(!(await p.locator('.workflow').count()), 'the rio does not decide');
    const ours = await p.$eval('#link-title ~ form select[name=obstacle_id]', (s, title) => [...s.options].find((o) => o.text === title).value, RIO_OBSTACLE);
    await p.selectOption('#link-title ~ form select[name=obstacle_id]', ours);
    await p.click('#link-title ~ form button[type=submit]');
    await p.waitForSelector(`#link-title ~ p a:has-text("${RIO_OBSTACLE}")`);
    await shot(rio, 'escalation-coordinator-linked', true);
    await scan(rio, 'escalation (coordinator, linked to an obstacle)');
    await p.click(`#link-title ~ p a:has-text("${RIO_OBSTACLE}")`);
    await p.waitForSelector(`h1:has-text("${RIO_OBSTACLE}")`);
    assert((await p.locator('.facts').textContent()).includes('Casussen geraakt1'), 'the rio\'s obstacle now counts the case');

    await p.click('#site-header a:has-text("Cijfers")');
    await p.waitForSelector('.chart-svg >> nth=3');
    const charts = await p.$$eval('.chart-svg', (svgs) => svgs.map((s) => s.getAttribute('role') === 'img' && s.querySelector('desc')?.textContent.length > 20));
    assert(charts.length === 4 && charts.every(Boolean), 'four charts, each an image with a description in words');
    await p.selectOption('select[name=period]', 'quarter');
    await p.click('.filter-form button[type=submit]');
    await until('quarters in the table', () => p.evaluate(() => /\d{4}-Q\d/.test(document.querySelector('.figures-table')?.textContent || '')), 10_000);
    await p.click('summary:has-text("als tabel")');
    const csv = await p.$eval('a[href^="/api/figures/on-time.csv"]', (a) => a.getAttribute('href'));
    const got = await p.evaluate((href) => fetch(href).then(async (r) => [r.status, r.headers.get('content-type'), await r.text()]), csv);
    assert(got[0] === 200 && got[1].startsWith('text/csv') && got[2].includes('Q'), `the CSV downloads per quarter, got ${got.slice(0, 2)}`);
    await shot(rio, 'figures', true);
    await scan(rio, 'figures');
    await p.click('button:has-text("English")');
    await p.waitForSelector('h1:has-text("Figures")');
    await p.waitForSelector('.chart-svg[lang=en] >> nth=3');
    assert((await p.locator('.chart-svg desc').first().textContent()).includes('Housing'), 'the charts speak English after the switch');
    await shot(rio, 'figures-english');
    await p.click('button:has-text("Nederlands")');
    await p.waitForSelector('h1:has-text("Cijfers")');
  });

  await step('the steering group sees the figures of every case and closes the assigned escalation', async () => {
    const p = steering.page;
    await p.goto(`${base}/figures`);
    await p.waitForSelector('.chart-svg >> nth=3');
    assert((await p.locator('.figures-results .lead').textContent()).startsWith('Alle casussen'), 'the steering group sees all cases, aggregated');
    await p.goto(`${base}/escalations?status=decided`);
    await until('two decided escalations', async () => (await rows(steering).count()) === 2, 10_000);
    await p.click('.escalation-table tbody tr:has-text("Over de datum") th a');
    await p.click('button:has-text("Opschaling sluiten")');
    await p.waitForSelector('dialog[open]');
    await p.click('dialog[open] button[value=yes]');
    await p.waitForSelector('.status-line .badge:has-text("Gesloten")');
    assert(!(await p.locator('.workflow').count()), 'nothing more to do once closed');
    await p.goto(`${base}/escalations`);
    await until('the queue holds only the escalation by hand', async () => (await rows(steering).count()) === 1, 10_000);
    assert((await rows(steering).first().textContent()).includes('Handmatig opgeschaald'), 'the manual escalation waits in the queue');
  });

  await step('the steering group cannot open the case itself', async () => {
    const id = await manager.page.evaluate(() => fetch('/api/cases').then((r) => r.json()).then((cs) => cs[0].id));
    await steering.page.goto(`${base}/cases/${id}`);
    await steering.page.waitForSelector('h1:has-text("Niet gevonden")');
  });
}
