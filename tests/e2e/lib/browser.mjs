// Headless Chromium from Debian (never a downloaded browser) with a fake camera and
// microphone, one context per person, and the probes the story reads media facts with.

import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

export function launch() {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-default-apps', '--disable-features=Translate,MediaRouter,OptimizationHints',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required'],
  });
}

/**
 * Runs in every page before its own scripts: keeps every RTCPeerConnection (to read
 * getStats) and notes, on the page's own clock, when the first remote video frame was
 * decoded and when the person was let into the room.
 */
function probe() {
  // Sockets are kept so the story can cut a connection as a weak network would.
  const OriginalSocket = window.WebSocket;
  window.__sockets = [];
  window.WebSocket = class extends OriginalSocket {
    constructor(...args) {
      super(...args);
      window.__sockets.push(this);
    }
  };
  const Original = window.RTCPeerConnection;
  if (!Original) return;
  window.__pcs = [];
  window.__kt = { firstFrame: null, admitted: null, joinClicked: null };
  window.RTCPeerConnection = class extends Original {
    constructor(...args) {
      super(...args);
      window.__pcs.push(this);
    }
  };
  const poll = setInterval(async () => {
    for (const pc of window.__pcs) {
      if (pc.connectionState === 'closed') continue;
      const stats = await pc.getStats().catch(() => null);
      if (!stats) continue;
      for (const s of stats.values()) {
        if (s.type === 'inbound-rtp' && s.kind === 'video' && s.framesDecoded > 0 && window.__kt.firstFrame === null) {
          window.__kt.firstFrame = performance.now();
          clearInterval(poll);
        }
      }
    }
  }, 40);
  new MutationObserver(() => {
    if (window.__kt.admitted === null && document.querySelector('.room[data-phase="in"]')) window.__kt.admitted = performance.now();
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-phase'], childList: true });
}

/** A person: their own browser context and page, with errors collected. */
export async function person(browser, name, base, viewport = { width: 1366, height: 860 }) {
  const context = await browser.newContext({ viewport, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
  await context.addInitScript(probe);
  const page = await context.newPage();
  const problems = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    if (/Content Security Policy/i.test(text)) problems.push(`CSP: ${text}`);
  });
  page.setDefaultTimeout(20_000);
  return { name, context, page, problems, base };
}

/** Media facts from all peer connections of a page: remote video and audio, per stream. */
export function mediaStats(page) {
  return page.evaluate(async () => {
    const out = { video: [], audio: [] };
    for (const pc of window.__pcs || []) {
      if (pc.connectionState === 'closed') continue;
      const stats = await pc.getStats();
      for (const s of stats.values()) {
        if (s.type !== 'inbound-rtp') continue;
        if (s.kind === 'video') out.video.push({ id: s.id, mid: s.mid, framesDecoded: s.framesDecoded || 0, bytes: s.bytesReceived || 0 });
        if (s.kind === 'audio') out.audio.push({ id: s.id, mid: s.mid, packets: s.packetsReceived || 0, bytes: s.bytesReceived || 0 });
      }
    }
    return out;
  });
}

/** Timings the probe noted, in ms since the page was opened. */
export function timings(page) {
  return page.evaluate(() => ({ ...window.__kt }));
}

const AXE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/**
 * axe-core on the page as it is now. Evaluated through the debugging protocol, so the page's
 * CSP (which forbids inline scripts) stays on. Returns the serious and critical violations.
 */
export async function axeScan(page) {
  await page.evaluate(AXE);
  const result = await page.evaluate(() => window.axe.run(document, {
    runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa', 'best-practice'] },
  }));
  return result.violations
    .filter((v) => v.impact === 'serious' || v.impact === 'critical')
    .map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => n.target.join(' ')) }));
}
