// The signalling link's watch: an open WebSocket that hears nothing for 4.5 s is dropped and
// joined again, but a page that stood still (a long task, a busy machine) has not heard its
// messages because it did not run, not because the network is gone: it must not reconnect for
// that (a reconnect costs a new session, new media connections and new keys for everyone).
import { test, beforeEach, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import { Signalling, linkDead } from '../../web/js/room/signalling.js';

test('silence longer than the limit, seen by a check on time, is a dead link', () => {
  const link = { heardAt: 10_000, checkedAt: 14_300, deadAfter: 4500 };
  assert.equal(linkDead(link, 14_550), true);
  assert.equal(linkDead({ ...link, heardAt: 13_000 }, 14_550), false);
});

test('a check that comes seconds late judges nothing; the next one on time does', () => {
  // The page stood still from 10.25 s to 22 s: the last message it handled is from 10 s.
  const link = { heardAt: 10_000, checkedAt: 10_250, deadAfter: 4500 };
  assert.equal(linkDead(link, 22_000), false);
  // A quarter second later the queued messages have had their turn: a link that spoke is alive …
  assert.equal(linkDead({ heardAt: 22_100, checkedAt: 22_000, deadAfter: 4500 }, 22_250), false);
  // … one that still said nothing is dead.
  assert.equal(linkDead({ heardAt: 10_000, checkedAt: 22_000, deadAfter: 4500 }, 22_250), true);
});

test('while media arrives, a silent link gets ten seconds; once it stops, the usual limit', () => {
  // Silent since 10 s, media seen at 14.5 s (the figures are read every second).
  const link = { heardAt: 10_000, checkedAt: 15_000, deadAfter: 4500, mediaAt: 14_500 };
  assert.equal(linkDead(link, 15_250), false, 'a weak link, not a gone one');
  assert.equal(linkDead({ ...link, checkedAt: 19_750, mediaAt: 19_500 }, 19_900), false);
  assert.equal(linkDead({ ...link, checkedAt: 20_000, mediaAt: 19_500 }, 20_250), true, 'ten seconds at most');
  // The media stopped at 12 s too: the network is gone.
  assert.equal(linkDead({ ...link, mediaAt: 12_000 }, 15_250), true);
  // ICE said disconnected (2 s) while media still arrives: the media wins.
  assert.equal(linkDead({ ...link, deadAfter: 2000 }, 15_250), false);
});

test('a background tab checked once a second still judges', () => {
  assert.equal(linkDead({ heardAt: 10_000, checkedAt: 14_000, deadAfter: 4500 }, 15_000), true);
});

// The class itself, with a socket that stays open and a clock of our own.
class FakeSocket {
  static OPEN = 1;
  static made = [];
  constructor(url) {
    this.url = url;
    this.readyState = FakeSocket.OPEN;
    this.closedByPage = false;
    this.listeners = {};
    FakeSocket.made.push(this);
  }
  addEventListener(type, fn) { (this.listeners[type] ||= []).push(fn); }
  fire(type, event = {}) { for (const fn of this.listeners[type] || []) fn(event); }
  send() {}
  close() { this.closedByPage = true; this.readyState = 3; }
}

let clock;
const realNow = Date.now;
beforeEach(() => {
  clock = 1_000_000;
  Date.now = () => clock;
  FakeSocket.made = [];
  globalThis.WebSocket = FakeSocket;
  globalThis.location = { protocol: 'http:', host: '127.0.0.1' };
});
afterEach(() => {
  Date.now = realNow;
});

/** One check on time, then the page stands still `ms` and the next check comes that late. */
function standStill(link, ms) {
  clock += 250;
  link.checkLink();
  clock += ms;
  link.checkLink();
}

function openLink() {
  const link = new Signalling('m-1');
  link.connect();
  const ws = FakeSocket.made.at(-1);
  ws.fire('open');
  return { link, ws };
}

test('the page stands still 12 s: no reconnect, the queued ping keeps the link', () => {
  const { link, ws } = openLink();
  standStill(link, 12_000);
  assert.equal(ws.closedByPage, false, 'the late check did not drop the link');
  ws.fire('message', { data: JSON.stringify({ type: 'ping' }) });
  clock += 250;
  link.checkLink();
  assert.equal(ws.closedByPage, false);
  assert.equal(link.status, 'open');
  link.close();
});

test('a link silent for 4.5 s while the page runs is dropped and joined again', () => {
  const { link, ws } = openLink();
  for (let t = 0; t < 4500; t += 250) {
    clock += 250;
    link.checkLink();
  }
  assert.equal(ws.closedByPage, false, 'not before 4.5 s');
  clock += 250;
  link.checkLink();
  assert.equal(ws.closedByPage, true);
  assert.equal(link.status, 'lost');
  link.close();
});

test('after a stall, a link that stays silent is dropped at the first check on time', () => {
  const { link, ws } = openLink();
  standStill(link, 12_000);
  assert.equal(ws.closedByPage, false);
  clock += 250;
  link.checkLink();
  assert.equal(ws.closedByPage, true);
  link.close();
});
