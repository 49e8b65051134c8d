// The pre-join network check: a throwaway RTCPeerConnection with the ICE servers this
// conference's participants get (and the same relay policy), offered to the server, which
// answers from its media port (`…/network-check`). If ICE connects, the browser reaches the
// media server; the selected pair says whether directly or through the TURN relay. No media is
// sent: the offer asks to receive audio only, and the server sends nothing.

import { get, post } from '../api.js';
import { transportPolicy, browserRelayForced } from './relay.js';

/** How long the check may take before it counts as "no connection". */
export const CHECK_MS = 15_000;

/**
 * The outcome from what the connection reached: 'direct', 'relay' or 'none'. `iceState` is the
 * final iceConnectionState, `localType` the selected pair's local candidateType (if any).
 */
export function outcome(iceState, localType) {
  if (iceState !== 'connected' && iceState !== 'completed') return 'none';
  return localType === 'relay' ? 'relay' : 'direct';
}

/** The translation keys that tell the result (`plain`: the client's simpler words). */
export function resultKeys(result, plain) {
  const p = plain ? 'prejoin.check.client.' : 'prejoin.check.';
  if (result === 'running') return { headline: `${p}running`, steps: [] };
  if (result === 'none') return { headline: `${p}none`, steps: [`${p}step_retry`, `${p}step_network`, `${p}step_help`] };
  return { headline: `${p}${result}`, steps: result === 'relay' ? [`${p}relay_hint`] : [] };
}

/** `base`: the API path the check lives under (…/meetings/{id} or …/invites/{token}). */
export async function runCheck(base, { ms = CHECK_MS } = {}) {
  const config = await get(`${base}/network-check`);
  const policy = transportPolicy(config.ice_relay_only, browserRelayForced());
  const pc = new RTCPeerConnection({ iceServers: config.ice_servers || [], iceTransportPolicy: policy });
  try {
    pc.addTransceiver('audio', { direction: 'recvonly' });
    await pc.setLocalDescription(await pc.createOffer());
    // One complete offer (no trickling): wait for the candidates, TURN ones included.
    await waitFor(pc, 'icegatheringstatechange', () => pc.iceGatheringState === 'complete', ms / 3);
    const answer = await post(`${base}/network-check`, { sdp: pc.localDescription.sdp });
    await pc.setRemoteDescription({ type: 'answer', sdp: answer.sdp });
    await waitFor(pc, 'iceconnectionstatechange',
      () => ['connected', 'completed', 'failed'].includes(pc.iceConnectionState), ms);
    // Under the relay policy every local candidate is a relay, whatever the stats have yet.
    const local = policy === 'relay' ? 'relay' : await selectedLocalType(pc);
    return outcome(pc.iceConnectionState, local);
  } finally {
    pc.close();
  }
}

function waitFor(pc, event, done, ms) {
  return new Promise((resolve) => {
    if (done()) { resolve(); return; }
    const timer = setTimeout(finish, ms);
    function finish() {
      clearTimeout(timer);
      pc.removeEventListener(event, check);
      resolve();
    }
    function check() { if (done()) finish(); }
    pc.addEventListener(event, check);
  });
}

async function selectedLocalType(pc) {
  const stats = [...(await pc.getStats()).values()];
  const transport = stats.find((s) => s.type === 'transport' && s.selectedCandidatePairId);
  const pair = (transport && stats.find((s) => s.id === transport.selectedCandidatePairId))
    || stats.find((s) => s.type === 'candidate-pair' && s.nominated && s.state === 'succeeded')
    || stats.find((s) => s.type === 'candidate-pair' && s.state === 'succeeded');
  const local = pair && stats.find((s) => s.id === pair.localCandidateId);
  return local ? local.candidateType : null;
}
