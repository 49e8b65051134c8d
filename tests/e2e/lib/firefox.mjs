// Firefox ESR from Debian (never a downloaded browser), driven over WebDriver BiDi with
// puppeteer-core, with a fake camera and microphone; one user context (own cookies) per person,
// and the same probes as the Chromium pages (browser.mjs), so media.mjs and screens.mjs read
// both alike.
//
// Firefox gathers ICE candidates on the machine's other interfaces only, never on loopback (the
// `media.peerconnection.ice.loopback` pref has no effect in 153esr), and does not pair its host
// candidates with a loopback one: the server the Firefox story talks to announces its media on
// an address of this machine that Firefox does offer (mediaAddress below).

import puppeteer from 'puppeteer-core';
import { networkInterfaces } from 'node:os';
import { probe, noteConsole } from './browser.mjs';

export const FIREFOX = process.env.FIREFOX_PATH || '/usr/bin/firefox-esr';

export const FIREFOX_PREFS = {
  // A fake camera (320×240) and microphone, given without asking.
  'media.navigator.streams.fake': true,
  'media.navigator.permission.disabled': true,
  // Remote audio and video play without a click.
  'media.autoplay.default': 0,
  // Host candidates as addresses, not mDNS names (the server resolves no mDNS).
  'media.peerconnection.ice.obfuscate_host_addresses': false,
  // Nothing from outside in a closed test network.
  'app.update.enabled': false,
  'browser.shell.checkDefaultBrowser': false,
  'datareporting.policy.dataSubmissionEnabled': false,
  'toolkit.telemetry.enabled': false,
  'network.captive-portal-service.enabled': false,
  'network.connectivity-service.enabled': false,
  'browser.safebrowsing.malware.enabled': false,
  'browser.safebrowsing.phishing.enabled': false,
  'extensions.update.enabled': false,
  'intl.accept_languages': 'nl-NL, nl',
};

export function launchFirefox() {
  return puppeteer.launch({
    browser: 'firefox',
    protocol: 'webDriverBiDi',
    executablePath: FIREFOX,
    headless: true,
    extraPrefsFirefox: FIREFOX_PREFS,
    env: { ...process.env, TZ: 'Europe/Amsterdam' },
  });
}

/**
 * The address the server must announce its media on for Firefox: $E2E_MEDIA_IP, else this
 * machine's first non-loopback IPv4 address. Fails clearly when there is none.
 */
export function mediaAddress() {
  if (process.env.E2E_MEDIA_IP) return process.env.E2E_MEDIA_IP;
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list || []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('Firefox offers no loopback ICE candidates and this machine has no other IPv4 address: set E2E_MEDIA_IP to an address of this machine');
}

/**
 * A person in Firefox: their own user context and page, with page errors collected. Each page
 * is a window of its own: two tabs of one window would leave all but one hidden, and Firefox
 * throttles a hidden page (its clicks waited up to a minute for a frame, and its connections
 * went quiet for seconds), which is not how anyone sits in a conference.
 */
export async function firefoxPerson(browser, name, base, viewport = { width: 1366, height: 860 }) {
  const context = await browser.createBrowserContext();
  const page = await context.newPage({ type: 'window' });
  await page.setViewport(viewport);
  await page.evaluateOnNewDocument(probe);
  const problems = [];
  const consoleLog = [];
  page.on('pageerror', (err) => problems.push(`pageerror: ${err.message}`));
  page.on('console', (msg) => {
    const text = msg.text();
    // Firefox reports a CSP violation as a page error ("Content-Security-Policy: The page’s
    // settings blocked …", caught above); a console message of that kind counts too.
    if (/Content[- ]Security[- ]Policy/i.test(text)) problems.push(`CSP: ${text}`);
    noteConsole(consoleLog, msg.type(), text);
  });
  page.setDefaultTimeout(20_000);
  return { name, context, page, problems, base, consoleLog, firefox: true };
}
