// Layouts (issue 14, point 8): every screen but the conference room at a 1280×720 laptop, a
// 1366×768 laptop and a 390×844 phone — no horizontal scrolling, no word in a table cell broken
// in the middle, axe, and a screenshot of each. And the client's own words (point 5): the chair
// picks a plain-language text for an overdue action and for the purpose on the meeting page; the
// client's plan shows it, a plain default where nothing was written, and the kind explanation
// of the overdue item, never the professionals' wording.
//
// Runs after the other stories (it runs the escalation rules so the queue has rows), or alone:
// E2E_STORIES=layouts.

import { screens } from './lib/screens.mjs';
import { step, assert, log } from './lib/check.mjs';
import { SAVED } from './lib/browser.mjs';

const SIZES = [
  { name: '1280x720', viewport: { width: 1280, height: 720 } },
  { name: '1366x768', viewport: { width: 1366, height: 768 } },
  { name: 'phone-390x844', viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 },
];
const CASEMANAGER = 'casemanager@pi-dordrecht.example';
const COORDINATOR = 'rio@gemeente-dordrecht.example';
const STEERING = 'stuurgroep@zvh-zhz.example';
const OVERDUE_NOTE = 'Dit had al klaar moeten zijn. Je begeleider weet ervan en helpt je.';

/** One person at one screen size, with page errors collected (run.mjs reports them). */
async function visitor(browser, name, base, size, results) {
  const context = await browser.newContext({
    viewport: size.viewport, isMobile: Boolean(size.isMobile), hasTouch: Boolean(size.hasTouch),
    deviceScaleFactor: size.deviceScaleFactor || 1, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam',
  });
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    if (/Content Security Policy/i.test(msg.text())) problems.push(`CSP: ${msg.text()}`);
  });
  page.setDefaultTimeout(20_000);
  const who = { name: `${name} @ ${size.name}`, context, page, problems, base };
  results.people.push(who);
  return who;
}

/** JSON from the API in the page's session. */
function api(page, method, path, body) {
  return page.evaluate(async ([m, p, b]) => {
    const res = await fetch(p, { method: m, headers: b === undefined ? {} : { 'content-type': 'application/json' }, body: b === undefined ? undefined : JSON.stringify(b) });
    return { status: res.status, body: res.status === 204 ? null : await res.json().catch(() => null) };
  }, [method, path, body]);
}

/**
 * What is wrong with the layout now: the document scrolls sideways (with the elements that stick
 * out), a table cell's content runs over its edge, or a word in a visible table cell is split
 * over two lines. A word is what lies between
 * spaces, hyphens and slashes (a break after "ID-" is a proper one).
 */
export function layoutProblems(page) {
  return page.evaluate(() => {
    const problems = [];
    const width = window.innerWidth;
    const scrolling = document.scrollingElement.scrollWidth;
    if (scrolling > width) {
      const wide = [...document.querySelectorAll('body *')]
        .filter((el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.right > width + 1; })
        .filter((el) => !el.closest('.sr-only'))
        .slice(0, 5)
        .map((el) => `${el.tagName.toLowerCase()}${el.className && typeof el.className === 'string' ? `.${el.className.trim().split(/\s+/).join('.')}` : ''} (right ${Math.round(el.getBoundingClientRect().right)})`);
      problems.push(`scrolls sideways: scrollWidth ${scrolling} > ${width}; sticking out: ${wide.join(', ')}`);
    }
    const cells = [...document.querySelectorAll('main td, main th')].filter((c) => c.getClientRects().length && getComputedStyle(c).visibility !== 'hidden');
    for (const cell of cells) {
      // Text wider than its cell runs over the next one (a squeezed column of a fixed layout).
      if (cell.scrollWidth > cell.clientWidth + 1 && getComputedStyle(cell).overflowX === 'visible') {
        problems.push(`a table cell's content is wider than the cell (${cell.scrollWidth} > ${cell.clientWidth}): "${cell.textContent.trim().slice(0, 60)}"`);
      }
      const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
      for (let node = walker.nextNode(); node; node = walker.nextNode()) {
        const text = node.textContent;
        for (const match of text.matchAll(/[^\s\-/]+/g)) {
          if (match[0].length < 2) continue;
          const range = document.createRange();
          range.setStart(node, match.index);
          range.setEnd(node, match.index + match[0].length);
          const tops = new Set([...range.getClientRects()].filter((r) => r.width > 0).map((r) => Math.round(r.top)));
          if (tops.size > 1) problems.push(`"${match[0]}" is broken over ${tops.size} lines in a table cell ("${cell.textContent.trim().slice(0, 60)}")`);
        }
      }
    }
    return problems;
  });
}

export async function layouts({ browser, base, shots, results }) {
  const { scan, shot, login } = screens({ results, shots });
  const failures = [];

  // What the screens are about, found through the API as the chair sees it.
  const setup = await visitor(browser, 'casemanager (set-up)', base, SIZES[1], results);
  const facts = await step('the chair finds the case, its conferences and an overdue action', async () => {
    const p = setup.page;
    await p.goto(`${base}/login`);
    await login(setup, CASEMANAGER);
    await p.waitForSelector('.cases-table');
    const cases = (await api(p, 'GET', '/api/cases')).body;
    const caseId = cases[0].id;
    const detail = (await api(p, 'GET', `/api/cases/${caseId}`)).body;
    const open = detail.meetings.find((m) => !m.finalised_at);
    const finalised = detail.meetings.find((m) => m.finalised_at);
    assert(open && finalised, 'the demo case has an open and a finalised conference');
    const today = new Date().toISOString().slice(0, 10);
    const actions = (await api(p, 'GET', `/api/cases/${caseId}/actions`)).body;
    const overdue = actions.find((a) => ['open', 'in_progress', 'blocked'].includes(a.status) && a.due_date < today && !a.owner_is_client);
    assert(overdue, 'the demo has an overdue action');
    return { caseId, openId: open.id, finalisedId: finalised.id, purpose: open.purpose, overdue, descriptions: actions.map((a) => a.description) };
  });

  const words = await step('on the meeting page the chair picks plain words for the purpose and the overdue action', async () => {
    const p = setup.page;
    await p.goto(`${base}/meetings/${facts.openId}`);
    await p.waitForSelector('#client-words-title');
    const purposeEditor = p.locator('.client-words[data-kind="purpose"]');
    const purpose = (await purposeEditor.locator('button.suggestion').first().textContent()).trim();
    await purposeEditor.locator('button.suggestion').first().click();
    await purposeEditor.locator('button:has-text("Tekst opslaan")').click();
    await purposeEditor.locator('.save-status', { hasText: SAVED }).waitFor();
    const item = p.locator('.client-words-list > li', { hasText: facts.overdue.description });
    const editor = item.locator('.client-words');
    const before = await item.locator('.client-words-read').textContent();
    await item.locator('details.client-words-row > summary').click();
    const action = (await editor.locator('button.suggestion').nth(1).textContent()).trim();
    await editor.locator('button.suggestion').nth(1).click();
    assert((await editor.locator('textarea').inputValue()) === action, 'a suggestion fills the field');
    await editor.locator('button:has-text("Tekst opslaan")').click();
    await editor.locator('.save-status', { hasText: SAVED }).waitFor();
    assert(before !== action, `the overdue action's text for the client was another one (${before})`);
    const reads = await item.locator('.client-words-read').textContent();
    assert(reads === action, `the list shows what the client reads now (${reads}, picked: ${action})`);
    const stored = (await api(p, 'GET', `/api/actions/${facts.overdue.id}`)).body;
    assert(stored.client_text === action, `the text is stored: ${stored.client_text}`);
    await shot(setup, 'client-words-editor', true);
    await scan(setup, 'meeting page with the client-words editor');
    // The client's invite, for his plan below.
    const invite = (await api(p, 'POST', `/api/meetings/${facts.openId}/invites`, { kind: 'client' })).body;
    // The queue gets rows: the rules run (as the steering group does from its queue).
    return { purpose, action, link: invite.url };
  });
  await setup.context.close();

  const steering = await visitor(browser, 'steering (set-up)', base, SIZES[1], results);
  await steering.page.goto(`${base}/login`);
  await login(steering, STEERING);
  await steering.page.waitForURL((url) => !url.pathname.startsWith('/login'));
  await api(steering.page, 'POST', '/api/admin/escalations/run');
  const queue = (await api(steering.page, 'GET', '/api/escalations')).body;
  await steering.context.close();

  const check = async (who, screen) => {
    const p = who.page;
    await p.waitForLoadState('networkidle').catch(() => {});
    await p.waitForSelector('main h1');
    const found = await layoutProblems(p);
    for (const problem of found) failures.push(`${screen} @ ${who.name}: ${problem}`);
    log(`layout ${screen} @ ${who.name}: ${found.length ? found.join('; ') : 'fits'}`);
    await shot(who, `layout-${who.name.split(' @ ')[1]}-${screen}`, true);
    await scan(who, `${screen} @ ${who.name.split(' @ ')[1]}`);
  };

  let clientSession = null;
  for (const size of SIZES) {
    await step(`every screen at ${size.name}`, async () => {
      const anon = await visitor(browser, 'visitor', base, size, results);
      await anon.page.goto(`${base}/login`);
      await check(anon, 'login');
      await anon.context.close();

      const cm = await visitor(browser, 'casemanager', base, size, results);
      const p = cm.page;
      await p.goto(`${base}/login`);
      await login(cm, CASEMANAGER);
      await p.waitForSelector('.cases-table');
      await check(cm, 'cases');
      await p.goto(`${base}/cases/${facts.caseId}`);
      await p.waitForSelector('#domains-title');
      await check(cm, 'case');
      await p.goto(`${base}/cases/${facts.caseId}/schedule`);
      await p.waitForSelector('textarea[name=purpose]');
      await check(cm, 'schedule');
      await p.goto(`${base}/meetings/${facts.openId}`);
      await p.waitForSelector('#invites-title');
      await check(cm, 'meeting');
      await p.goto(`${base}/meetings/${facts.finalisedId}/minutes`);
      await p.waitForSelector('.minutes-page .stamp');
      await check(cm, 'minutes');
      await p.goto(`${base}/meetings/${facts.openId}/plan`);
      await p.waitForSelector('.plan-domains');
      await check(cm, 'client-plan-preview');
      await p.goto(`${base}/notifications`);
      await check(cm, 'notifications');
      await cm.context.close();

      const rio = await visitor(browser, 'coordinator', base, size, results);
      const q = rio.page;
      await q.goto(`${base}/login`);
      await login(rio, COORDINATOR);
      await q.waitForURL((url) => !url.pathname.startsWith('/login'));
      await q.goto(`${base}/escalations`);
      await q.waitForSelector('.queue-count');
      await check(rio, 'queue');
      if (queue.length) {
        await q.goto(`${base}/escalations/${queue[0].id}`);
        await check(rio, 'escalation');
      }
      await q.goto(`${base}/obstacles`);
      await check(rio, 'obstacles');
      await q.goto(`${base}/figures`);
      await q.waitForSelector('.chart-svg');
      await check(rio, 'figures');
      await rio.context.close();

      // The client: his invite page (plain words, his purpose) and his plan.
      const client = await visitor(browser, 'client', base, size, results);
      const c = client.page;
      if (!clientSession) {
        await c.goto(words.link);
        await c.waitForSelector('main h1');
        const invitePage = await c.locator('main').textContent();
        assert(invitePage.includes(words.purpose) && !invitePage.includes(facts.purpose), 'his invite page names his purpose, not the professionals\'');
        await check(client, 'client-invite');
        const token = words.link.split('/').pop();
        const accepted = await api(c, 'POST', `/api/invites/${token}/accept`, {});
        assert(accepted.status === 200, `the client accepts his invite: ${accepted.status}`);
        clientSession = await client.context.cookies();
      } else {
        await client.context.addCookies(clientSession);
      }
      await c.goto(`${base}/meetings/${facts.openId}/plan`);
      await c.waitForSelector('.plan-domains');
      const plan = await c.locator('main').textContent();
      assert(plan.includes(words.action), 'the client\'s plan shows the text the chair picked for the overdue action');
      assert(plan.includes(OVERDUE_NOTE), 'the overdue item is explained kindly');
      assert(plan.includes(words.purpose), 'the plan says what the conference is for in his words');
      assert(plan.includes('Zij helpen je met'), 'an action without a text of its own reads as the plain default');
      for (const description of facts.descriptions) assert(!plan.includes(description), `the plan never shows the professionals' "${description}"`);
      assert(!plan.includes(facts.purpose), 'the plan never shows the professionals\' purpose');
      await check(client, 'client-plan');
      await client.context.close();
    });
  }

  for (const failure of failures) log(`✗ layout: ${failure}`);
  assert(!failures.length, `${failures.length} layout problems (see above)`);
}
