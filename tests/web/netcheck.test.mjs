// The pre-join network check's verdict: connected through a relay candidate is "via relay",
// any other connected pair is direct, and anything short of connected is no connection with
// steps to take.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import './fake-dom.mjs';
import { outcome, resultKeys } from '../../web/js/room/netcheck.js';

test('a connection through the TURN relay is reported as via relay', () => {
  assert.equal(outcome('connected', 'relay'), 'relay');
  assert.equal(outcome('completed', 'relay'), 'relay');
});

test('a host, server-reflexive or peer-reflexive pair is direct', () => {
  for (const type of ['host', 'srflx', 'prflx', null]) assert.equal(outcome('connected', type), 'direct');
});

test('failed, stuck or closed is no connection, whatever was gathered', () => {
  for (const state of ['failed', 'checking', 'new', 'disconnected', 'closed']) assert.equal(outcome(state, 'relay'), 'none');
});

test('no connection tells what to do; the client gets his own plain words', () => {
  assert.deepEqual(resultKeys('none', false).steps, ['prejoin.check.step_retry', 'prejoin.check.step_network', 'prejoin.check.step_help']);
  assert.equal(resultKeys('none', true).headline, 'prejoin.check.client.none');
  assert.deepEqual(resultKeys('relay', false), { headline: 'prejoin.check.relay', steps: ['prejoin.check.relay_hint'] });
  assert.deepEqual(resultKeys('direct', true), { headline: 'prejoin.check.client.direct', steps: [] });
});
