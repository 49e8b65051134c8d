// Case work and the administrator's console in the browser, on a demo with its year of history
// (its own server, so the conference and steering stories keep their one case): the casemanager
// opens a case with the keyboard alone, puts someone on it with a reason and takes him off with
// a reason, closes and reopens it, and the coordinator reads both reasons in the trail; one
// administrator lands on the console, files an account and deactivates another (its
// reactivation waits), the OTHER administrator approves and gets the one-time link; the
// organisations, the retention figures and the audit trail with filters and a CSV export; the
// figures show a year. Every new screen is scanned with axe and photographed.

import { readFileSync } from 'node:fs';
import { person } from './lib/browser.mjs';
import { screens } from './lib/screens.mjs';
import { startServer } from './lib/server.mjs';
import { step, until, assert, dutchDate } from './lib/check.mjs';

const PSEUDONYM = 'Kees T. (fictief)';
const ADD_REASON = 'Woonbron zoekt een kamer voor na de vrijlating.';
const REMOVE_REASON = 'De kamer is geregeld; Woonbron hoeft niet meer mee te kijken.';

/**
 * Types a date into the focused date field and leaves it with Tab, as a keyboard user does.
 * Headless Chromium's date field takes month, day, year (its own UI language, not the page's);
 * after the year, the first Tab reaches the field's calendar button and the second the next field.
 */
async function typeDate(page, iso) {
  const [year, month, day] = iso.split('-');
  await page.keyboard.type(`${month}${day}${year}`);
  const value = await page.evaluate(() => document.activeElement.value);
  assert(value === iso, `typed ${iso} into the date field, it holds ${value}`);
  await page.keyboard.press('Tab');
  await page.keyboard.press('Tab');
}

export async function admin({ browser, artifacts, shots, results }) {
  const server = await startServer(artifacts, { history: true, name: 'server-admin' });
  try {
    await play({ browser, base: server.base, shots, results });
  } finally {
    await server.stop();
  }
}

async function play({ browser, base, shots, results }) {
  const { scan, shot, login } = screens({ results, shots });
  const manager = await person(browser, 'casemanager (case work)', base);
  const rio = await person(browser, 'rio (case trail)', base);
  const first = await person(browser, 'administrator', base);
  const second = await person(browser, 'second administrator', base);
  const steering = await person(browser, 'steering group (a year of figures)', base);
  results.people.push(manager, rio, first, second, steering);
  let caseUrl;

  await step('the casemanager sees the demo year and opens a case with the keyboard alone', async () => {
    const p = manager.page;
    await p.goto(`${base}/login`);
    await login(manager, 'casemanager@pi-dordrecht.example');
    await p.waitForSelector('h1:has-text("Mijn casussen")');
    await until('seven cases', async () => (await p.locator('.cases-table tbody tr').count()) === 7, 10_000);
    await shot(manager, 'cases-with-history', true);
    await p.click('a:has-text("Nieuwe casus")');
    await p.waitForSelector('h1:has-text("Nieuwe casus openen")');
    await scan(manager, 'new case');
    await p.focus('input[name=client_pseudonym]');
    await p.keyboard.type(PSEUDONYM);
    await p.keyboard.press('Tab');
    assert(await p.evaluate(() => document.activeElement.name === 'prison_id' && document.activeElement.selectedOptions[0].text === 'PI Dordrecht'),
      'the own prison is chosen already');
    await p.keyboard.press('Tab');
    await typeDate(p, dutchDate(-120));
    await typeDate(p, dutchDate(60));
    assert(await p.evaluate(() => document.activeElement.name === 'municipality_id'), 'the municipality is next');
    await p.keyboard.type('Gemeente Zwijndrecht');
    const values = await p.evaluate(() => Object.fromEntries([...document.querySelectorAll('.case-new-form [name]')].map((e) => [e.name, e.value])));
    assert(values.detention_start === dutchDate(-120) && values.expected_release === dutchDate(60), `dates from the keyboard, got ${JSON.stringify(values)}`);
    assert(await p.evaluate(() => document.activeElement.selectedOptions[0].text === 'Gemeente Zwijndrecht'), 'municipality chosen by typing');
    await shot(manager, 'new-case-filled');
    await p.keyboard.press('Tab');
    assert(await p.evaluate(() => document.activeElement.matches('button[type=submit]')), 'the submit button is next');
    await p.keyboard.press('Enter');
    await p.waitForSelector(`h1:has-text("${PSEUDONYM}")`);
    caseUrl = p.url();
    assert(/\/cases\/[0-9a-f-]{36}$/.test(new URL(caseUrl).pathname), `on the new case, got ${caseUrl}`);
    const members = await p.locator('.member-list li').allTextContents();
    assert(members.length === 1 && members[0].includes('Inge de Wit'), `the creator is on it, got ${members}`);
  });

  await step('the casemanager puts Woonbron on the case with a reason (keyboard), and a reason is required', async () => {
    const p = manager.page;
    await p.focus('summary:has-text("Iemand toevoegen")');
    await p.keyboard.press('Enter');
    await p.waitForSelector('form[aria-label="Iemand toevoegen"] select[name=member]');
    await p.focus('form[aria-label="Iemand toevoegen"] select[name=member]');
    await p.keyboard.type('Wouter');
    assert(await p.evaluate(() => document.activeElement.selectedOptions[0].text.startsWith('Wouter Hendriks')), 'Wouter chosen by typing');
    // Without a reason the form does not go: the reason field says it is required.
    await p.click('form[aria-label="Iemand toevoegen"] button[type=submit]');
    assert(await p.evaluate(() => document.activeElement.name === 'reason' && !document.activeElement.validity.valid), 'the browser asks for the reason');
    await p.keyboard.type(ADD_REASON);
    await shot(manager, 'add-member-with-reason');
    await scan(manager, 'case page (member form)');
    await p.keyboard.press('Tab');
    await p.keyboard.press('Enter');
    await until('Wouter on the case', async () => (await p.locator('.member-list li:has-text("Wouter Hendriks")').count()) === 1, 10_000);
  });

  await step('the casemanager takes him off again with a reason, in a dialog, by keyboard', async () => {
    const p = manager.page;
    await p.focus('button[aria-label="Wouter Hendriks van de casus halen"]');
    await p.keyboard.press('Enter');
    await p.waitForSelector('dialog[open] textarea');
    await p.keyboard.type(REMOVE_REASON);
    await shot(manager, 'remove-member-dialog');
    await scan(manager, 'remove member dialog');
    await p.keyboard.press('Tab');
    await p.keyboard.press('Enter');
    await p.waitForSelector('dialog', { state: 'detached' });
    await until('Wouter off the case', async () => (await p.locator('.member-list li:has-text("Wouter Hendriks")').count()) === 0, 10_000);
    assert(await p.evaluate(() => document.activeElement.id === 'members-title'), 'focus on the list after removing');
  });

  await step('the casemanager closes the case and reopens it', async () => {
    const p = manager.page;
    await p.click('button:has-text("Casus sluiten")');
    await p.waitForSelector('dialog[open]');
    await p.click('dialog[open] button[value=yes]');
    await p.waitForSelector('#status-title:has-text("Casus gesloten")');
    assert(!(await p.locator('summary:has-text("Iemand toevoegen")').count()), 'a closed case takes nobody on');
    await shot(manager, 'case-closed');
    await scan(manager, 'closed case');
    await p.click('button:has-text("Casus heropenen")');
    await p.waitForSelector('#status-title:has-text("Casus open")');
    await p.waitForSelector('summary:has-text("Iemand toevoegen")');
  });

  await step('the coordinator of that municipality reads both reasons in the case trail', async () => {
    const p = rio.page;
    await p.goto(`${base}/login`);
    await login(rio, 'rio@gemeente-zwijndrecht.example');
    await p.waitForSelector('h1:has-text("Mijn casussen")');
    await p.goto(caseUrl);
    await p.waitForSelector(`h1:has-text("${PSEUDONYM}")`);
    await p.click('summary:has-text("Toon de laatste 100 gebeurtenissen")');
    await p.waitForSelector(`td:has-text("${ADD_REASON}")`);
    await p.waitForSelector(`td:has-text("${REMOVE_REASON}")`);
  });

  await step('the administrator lands on the console, not on a queue, and files an account', async () => {
    const p = first.page;
    await p.goto(`${base}/login`);
    await login(first, 'admin@ketentafel.example');
    await p.waitForSelector('h1:has-text("Accounts")');
    assert(new URL(p.url()).pathname === '/', 'the start page is the console');
    const nav = await p.locator('#site-header nav a').allTextContents();
    assert(nav[0] === 'Beheer', `the console comes first, got ${nav}`);
    assert(!(await p.locator('main').textContent()).includes('(fictief)'), 'no client on the console');
    await scan(first, 'admin accounts');
    await p.focus('form.account-create input[name=name]');
    await p.keyboard.type('Fenna de Vries');
    await p.keyboard.press('Tab');
    await p.keyboard.type('fenna@leger-des-heils.example');
    await p.keyboard.press('Tab');
    await p.keyboard.type('Reclassering');
    await p.keyboard.press('Tab');
    await p.keyboard.type('Ketenpartner');
    await p.keyboard.press('Tab');
    await p.keyboard.press('Enter');
    await p.waitForSelector('.requests-table tr:has-text("Fenna de Vries") .badge:has-text("Wacht op een tweede beheerder")');
    assert(!(await p.locator('.requests-table tr:has-text("Fenna de Vries") button:has-text("Goedkeuren")').count()), 'the one who asked cannot approve');
    // Deactivating takes effect at once; reactivating waits for the other administrator.
    const sanne = p.locator('.accounts-table tr[data-email="schuldhulp@schuldhulp.example"]');
    await sanne.locator('summary').click();
    await sanne.locator('button:has-text("Deactiveren")').click();
    await p.click('dialog[open] button[value=yes]');
    await p.waitForSelector('.accounts-table tr[data-email="schuldhulp@schuldhulp.example"] .badge:has-text("Gedeactiveerd")');
    await p.locator('.accounts-table tr[data-email="schuldhulp@schuldhulp.example"] summary').click();
    await p.locator('.accounts-table tr[data-email="schuldhulp@schuldhulp.example"] button:has-text("Heractiveren")').click();
    await p.waitForSelector('.accounts-table tr[data-email="schuldhulp@schuldhulp.example"] .badge:has-text("Wacht op een tweede beheerder")');
    await shot(first, 'admin-accounts-waiting', true);
  });

  await step('the second administrator approves and gets the one-time link; the other request he rejects', async () => {
    const p = second.page;
    await p.goto(`${base}/login`);
    await login(second, 'beheer2@ketentafel.example');
    await p.waitForSelector('h1:has-text("Accounts")');
    await p.click('button[aria-label="Verzoek voor Fenna de Vries goedkeuren"]');
    const link = await p.waitForSelector('#handed-link input.link-input');
    const url = await link.inputValue();
    assert(url.startsWith(`${base}/activate/`), `an activation link, got ${url}`);
    assert(await p.evaluate(() => document.activeElement.closest('#handed-link') !== null), 'focus on the link box');
    await shot(second, 'admin-approved-link');
    await scan(second, 'admin approved (link)');
    await p.click('button[aria-label="Verzoek voor Sanne Kok afwijzen"]');
    await until('nothing waits', async () => (await p.locator('.requests-table').count()) === 0, 10_000);
    await p.click('summary:has-text("Eerder beslist")');
    await p.waitForSelector('text=Afgewezen');
  });

  await step('organisations: the list, a new one and a new name', async () => {
    const p = first.page;
    await p.click('.sub-nav a:has-text("Organisaties")');
    await p.waitForSelector('h1:has-text("Organisaties")');
    await p.focus('form.org-create input[name=name]');
    await p.keyboard.type('Leger des Heils Drechtsteden');
    await p.keyboard.press('Tab');
    await p.keyboard.type('Anders');
    await p.keyboard.press('Tab');
    await p.keyboard.press('Enter');
    await p.waitForSelector('.orgs-table th:has-text("Leger des Heils Drechtsteden")');
    const row = p.locator('.orgs-table tr[data-org="Leger des Heils Drechtsteden"]');
    await row.locator('summary').click();
    await row.locator('input[name=name]').fill('Leger des Heils Zuid-Holland Zuid');
    await row.locator('button[type=submit]').click();
    await p.waitForSelector('.orgs-table th:has-text("Leger des Heils Zuid-Holland Zuid")');
    await shot(first, 'admin-organisations', true);
    await scan(first, 'admin organisations');
  });

  await step('retention: the period and what it will delete when, without naming a case', async () => {
    const p = first.page;
    await p.click('.sub-nav a:has-text("Bewaartermijn")');
    await p.waitForSelector('h1:has-text("Bewaartermijn")');
    const facts = await p.locator('.retention-facts').textContent();
    assert(facts.includes('730 dagen'), `the period, got ${facts}`);
    assert(!(await p.locator('main').textContent()).includes('(fictief)'), 'no client named');
    await shot(first, 'admin-retention');
    await scan(first, 'admin retention');
  });

  await step('the audit trail filters by actor and action, exports exactly those rows, and never names a client', async () => {
    const p = first.page;
    await p.click('.sub-nav a:has-text("Audittrail")');
    await p.waitForSelector('h1:has-text("Audittrail")');
    assert(!(await p.locator('main').textContent()).includes('(fictief)'), 'cases by number only');
    await p.focus('.audit-filters input[name=actor]');
    await p.keyboard.type('Inge');
    await p.focus('.audit-filters input[name=action]');
    await p.keyboard.type('case.member');
    await p.keyboard.press('Enter');
    await until('only Inge\'s member changes', async () => {
      const rows = await p.locator('.audit-table tbody tr').allTextContents();
      return rows.length === 2 && rows.every((r) => r.includes('Inge de Wit') && r.includes('case.member'));
    }, 10_000);
    assert(new URL(p.url()).search === '?actor=Inge&action=case.member', `filters in the URL, got ${p.url()}`);
    assert(await p.evaluate(() => document.activeElement.matches('.audit-filters button[type=submit]')), 'focus stays on the filters');
    await shot(first, 'admin-audit-filtered', true);
    await scan(first, 'admin audit');
    const [download] = await Promise.all([p.waitForEvent('download'), p.click('button:has-text("Exporteren als CSV")')]);
    const csv = readFileSync(await download.path(), 'utf8');
    const lines = csv.replace(/^\uFEFF/, '').trim().split('\r\n');
    assert(lines[0].startsWith('Wanneer,Wie,Soort,Wat,Casusnummer'), `CSV header, got ${lines[0]}`);
    assert(lines.length === 3 && csv.includes(ADD_REASON) && csv.includes(REMOVE_REASON), `the two rows with their reasons, got ${csv}`);
    assert(!csv.includes('(fictief)'), 'no client in the export');
    // A case number link narrows the trail to that case.
    await p.locator('.audit-table a.case-id').first().click();
    await until('one case', async () => new URL(p.url()).searchParams.has('case_id'), 10_000);
  });

  await step('the steering group\'s figures show a year of work', async () => {
    const p = steering.page;
    await p.goto(`${base}/login`);
    await login(steering, 'stuurgroep@zvh-zhz.example');
    await p.waitForSelector('h1:has-text("Wachtrij van de stuurgroep")');
    await p.click('#site-header nav a:has-text("Cijfers")');
    await p.waitForSelector('h1:has-text("Cijfers")');
    await until('four charts', async () => (await p.locator('.figures-results img, .figures-results svg').count()) >= 4, 15_000);
    await shot(steering, 'figures-a-year', true);
    await scan(steering, 'figures (with history)');
  });
}
