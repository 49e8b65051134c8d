// Headless Chromium from Debian (never a downloaded browser) with a fake camera and
// microphone, one context per person, and the probes the story reads media facts with.

import { chromium } from 'playwright-core';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

const require = createRequire(import.meta.url);

export const CHROMIUM = process.env.CHROMIUM_PATH || '/usr/bin/chromium';

/**
 * Starts Chromium. `executablePath` may be a wrapper (the recover story starts Chromium inside
 * a network namespace of its own); `args` are added to the usual ones (the TURN story trusts
 * coturn's certificate with one).
 */
export function launch({ executablePath = CHROMIUM, args = [] } = {}) {
  return chromium.launch({
    executablePath,
    headless: true,
    args: [...args, '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
      '--disable-background-networking', '--disable-component-update', '--disable-sync',
      '--disable-default-apps', '--disable-features=Translate,MediaRouter,OptimizationHints',
      '--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream',
      '--allow-loopback-in-peer-connection', '--autoplay-policy=no-user-gesture-required', ...args],
  });
}

/**
 * Runs in every page before its own scripts: keeps every RTCPeerConnection (to read
 * getStats) and notes, on the page's own clock, when the first remote video frame was
 * decoded and when the person was let into the room.
 */
export function probe() {
  // Sockets are kept so the story can cut a connection as a weak network would.
  const OriginalSocket = window.WebSocket;
  window.__sockets = [];
  // The first time each step of a join happened, on the page's clock: where a slow join loses
  // its time (socket, welcome, each connection's ICE and DTLS, the first frame).
  // `welcomes`: when (ms since the epoch) each `welcome` came, every time: a rejoin shows as one more.
  window.__kt = { origin: performance.timeOrigin, firstFrame: null, admitted: null, joinClicked: null, marks: {}, welcomes: [] };
  const mark = (what) => { if (!(what in window.__kt.marks)) window.__kt.marks[what] = Math.round(performance.now()); };
  window.WebSocket = class extends OriginalSocket {
    constructor(...args) {
      super(...args);
      window.__sockets.push(this);
      this.addEventListener('open', () => mark('ws open'));
      this.addEventListener('message', (event) => {
        let type;
        try { type = JSON.parse(event.data).type; } catch { return; /* not ours to judge */ }
        mark(`ws ${type}`);
        if (type === 'welcome') window.__kt.welcomes.push(Date.now());
      });
    }
    send(data) {
      try { mark(`sent ${JSON.parse(data).type}`); } catch { /* idem */ }
      super.send(data);
    }
  };
  const gum = navigator.mediaDevices?.getUserMedia?.bind(navigator.mediaDevices);
  if (gum) {
    navigator.mediaDevices.getUserMedia = (...args) => gum(...args).then((stream) => { mark('camera ready'); return stream; });
  }
  const Original = window.RTCPeerConnection;
  if (!Original) return;
  window.__pcs = [];
  window.RTCPeerConnection = class extends Original {
    constructor(...args) {
      super(...args);
      const n = window.__pcs.push(this);
      this.addEventListener('iceconnectionstatechange', () => mark(`pc${n} ice ${this.iceConnectionState}`));
      this.addEventListener('connectionstatechange', () => mark(`pc${n} ${this.connectionState}`));
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
          mark('first frame');
          clearInterval(poll);
        }
      }
    }
  }, 20);
  new MutationObserver(() => {
    if (window.__kt.admitted === null && document.querySelector('.room[data-phase="in"]')) window.__kt.admitted = performance.now();
  }).observe(document, { subtree: true, attributes: true, attributeFilter: ['data-phase'], childList: true });
}

/**
 * Keeps a page's console errors and warnings, with the time (UTC), for `console.json` in the
 * artifacts: what a page said when it rejoined or a negotiation failed. At most 500 per page.
 */
export function noteConsole(log, type, text) {
  if ((type === 'error' || type === 'warning' || type === 'warn') && log.length < 500) {
    log.push(`${new Date().toISOString().slice(11, 23)} ${type}: ${text}`);
  }
}

/**
 * A save status that says the save went through: "Opgeslagen; …", "De tekst … is opgeslagen.",
 * "Laatst opgeslagen door …", but not "Nog niet opgeslagen.", which an edit shows before it.
 */
export const SAVED = /^(?!Nog niet).*opgeslagen/i;

/** A person: their own browser context and page, with errors collected. */
export async function person(browser, name, base, viewport = { width: 1366, height: 860 }) {
  const context = await browser.newContext({ viewport, locale: 'nl-NL', timezoneId: 'Europe/Amsterdam' });
  await context.addInitScript(probe);
  const page = await context.newPage();
  const problems = [];
  const consoleLog = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    if (/Content Security Policy/i.test(text)) problems.push(`CSP: ${text}`);
    noteConsole(consoleLog, msg.type(), text);
  });
  page.setDefaultTimeout(20_000);
  return { name, context, page, problems, base, consoleLog };
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

/**
 * What a page sends as video now: resolution, frame rate, the encoder's target and what its
 * congestion control allows, and what limits the quality, if anything.
 */
export function sendingVideo(page) {
  return page.evaluate(async () => {
    for (const pc of window.__pcs || []) {
      if (pc.connectionState !== 'connected') continue;
      const stats = [...(await pc.getStats()).values()];
      const out = stats.find((s) => s.type === 'outbound-rtp' && s.kind === 'video');
      if (!out) continue;
      const pair = stats.find((s) => s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded');
      return {
        width: out.frameWidth, height: out.frameHeight, fps: out.framesPerSecond,
        target_kbps: out.targetBitrate ? Math.round(out.targetBitrate / 1000) : null,
        available_kbps: pair?.availableOutgoingBitrate ? Math.round(pair.availableOutgoingBitrate / 1000) : null,
        limited_by: out.qualityLimitationReason, keyframes: out.keyFramesEncoded, plis: out.pliCount, nacks: out.nackCount,
      };
    }
    return null;
  });
}
