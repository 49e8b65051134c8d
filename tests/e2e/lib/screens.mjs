// What every story does on a screen: scan it with axe-core, photograph it, and log in. The
// results land in the run's shared lists, numbered in the order the story saw them.

import { axeScan } from './browser.mjs';
import { log } from './check.mjs';

export function screens({ results, shots }) {
  const scan = async (who, screen) => {
    const violations = await axeScan(who.page);
    results.axe.push({ screen, violations });
    log(`axe ${screen}: ${violations.length} serious/critical`);
  };
  const shot = async (who, screen, fullPage = false) => {
    const path = `${shots}/${String(results.screenshots.length + 1).padStart(2, '0')}-${screen}.png`;
    await who.page.screenshot({ path, fullPage });
    results.screenshots.push(path);
  };
  const login = async (who, email) => {
    await who.page.fill('input[name=email]', email);
    await who.page.fill('input[name=password]', 'demo');
    await who.page.click('form button[type=submit]');
  };
  return { scan, shot, login };
}

/** A full-page screenshot of each person's page, named after the person, when a story fails. */
export async function failureShots(people, shots) {
  for (const who of people) {
    await who.page.screenshot({ path: `${shots}/failure-${who.name.replace(/\W+/g, '-')}.png`, fullPage: true }).catch(() => {});
  }
}
