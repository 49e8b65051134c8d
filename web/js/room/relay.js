// "Always relay": send all media through the TURN server (`iceTransportPolicy: "relay"`). A
// deployment switches it on for everyone (`--ice-relay-only`, sent in the welcome); one browser
// can force it with `?relay=1` on the room or invite URL, which it remembers until `?relay=0`
// (useful behind a firewall that lets only TCP 443 out, and for testing the TURN path).

const STORAGE_KEY = 'ketentafel.relay';

/**
 * Whether this browser forces relay: `?relay=1` switches it on and remembers it, `?relay=0`
 * switches it off again, anything else keeps what was remembered. `storage` is a Storage-like
 * object (getItem/setItem/removeItem) or null.
 */
export function relayForced(search, storage) {
  const asked = new URLSearchParams(search || '').get('relay');
  if (asked === '1' || asked === 'true') {
    storage?.setItem(STORAGE_KEY, '1');
    return true;
  }
  if (asked === '0' || asked === 'false') {
    storage?.removeItem(STORAGE_KEY);
    return false;
  }
  return storage?.getItem(STORAGE_KEY) === '1';
}

/** The `iceTransportPolicy` for a peer connection. */
export function transportPolicy(deploymentRelayOnly, browserForced) {
  return deploymentRelayOnly || browserForced ? 'relay' : 'all';
}

/** This browser's setting, read from its own URL and storage. */
export function browserRelayForced() {
  const storage = globalThis.localStorage || null;
  const search = globalThis.location ? globalThis.location.search : '';
  try {
    return relayForced(search, storage);
  } catch {
    // Storage may be refused (private mode, policies): the URL alone still counts.
    return relayForced(search, null);
  }
}
