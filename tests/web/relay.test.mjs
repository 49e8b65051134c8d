// "Always relay" for one browser: the URL switches it on and off, storage remembers it, and the
// deployment's setting wins over a browser that did not ask.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { relayForced, transportPolicy } from '../../web/js/room/relay.js';

function memoryStorage() {
  const map = new Map();
  return {
    getItem: (k) => (map.has(k) ? map.get(k) : null),
    setItem: (k, v) => map.set(k, String(v)),
    removeItem: (k) => map.delete(k),
  };
}

test('a browser that never asked uses every candidate', () => {
  assert.equal(relayForced('', memoryStorage()), false);
  assert.equal(relayForced('?lang=nl', null), false);
});

test('?relay=1 forces relay and is remembered on later pages', () => {
  const storage = memoryStorage();
  assert.equal(relayForced('?relay=1', storage), true);
  assert.equal(relayForced('', storage), true);
});

test('?relay=0 switches it off again', () => {
  const storage = memoryStorage();
  relayForced('?relay=1', storage);
  assert.equal(relayForced('?relay=0', storage), false);
  assert.equal(relayForced('', storage), false);
});

test('an unknown value changes nothing', () => {
  const storage = memoryStorage();
  relayForced('?relay=1', storage);
  assert.equal(relayForced('?relay=maybe', storage), true);
});

test('the deployment or the browser can each ask for relay', () => {
  assert.equal(transportPolicy(false, false), 'all');
  assert.equal(transportPolicy(true, false), 'relay');
  assert.equal(transportPolicy(false, true), 'relay');
});

test('the welcome carries the deployment\'s relay-only setting into the room\'s state', async () => {
  const { initialState, reduce } = await import('../../web/js/room/state.js');
  const welcome = (extra) => ({ type: 'welcome', v: 1, you: { id: 'a', presence: 'admitted' },
    meeting: { id: 'm', purpose: '', scheduled_at: '2026-01-01T10:00:00Z', status: 'live' }, ice_servers: [], ...extra });
  assert.equal(reduce(initialState(), welcome({ ice_relay_only: true })).relayOnly, true);
  assert.equal(reduce(initialState(), welcome({})).relayOnly, false, 'an older server that does not say it means any candidate');
});
