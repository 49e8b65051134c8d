// Commands for the stories that build a network of their own (network namespaces, veth pairs):
// they need root, and say so when they cannot.

import { execFileSync } from 'node:child_process';

/** Runs a command; its output, or an error carrying its stderr. */
export function sh(...args) {
  return execFileSync(args[0], args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

/** Runs a command inside network namespace `ns`. */
export const inNs = (ns, ...args) => sh('ip', 'netns', 'exec', ns, ...args);

/**
 * A guest's namespace `ns` behind a router namespace `router`: veth `hostIf` (this machine) to
 * `routerHostIf`, and `routerNsIf` to `nsIf` (in `ns`), all without addresses yet, anything of
 * an earlier run removed first. Returns why it cannot be made here (not root), or null.
 */
export function guestBehindRouter({ ns, router, hostIf, routerHostIf, routerNsIf, nsIf }) {
  removeGuestNetwork({ ns, router, hostIf });
  try {
    sh('ip', 'netns', 'add', ns);
  } catch (err) {
    return `no network namespace can be made here (${String(err.stderr || err.message).trim()}); this story needs root`;
  }
  sh('ip', 'netns', 'add', router);
  sh('ip', 'link', 'add', hostIf, 'type', 'veth', 'peer', 'name', routerHostIf);
  sh('ip', 'link', 'set', routerHostIf, 'netns', router);
  inNs(router, 'ip', 'link', 'add', routerNsIf, 'type', 'veth', 'peer', 'name', nsIf);
  inNs(router, 'ip', 'link', 'set', nsIf, 'netns', ns);
  // IPv4 only on these links. With IPv6 an interface brought up gets a link-local address that
  // becomes usable a second or so later (duplicate address detection), and a browser started
  // meanwhile takes that for a network change and aborts what it was loading
  // (net::ERR_NETWORK_CHANGED: a CI run's chair got a blank page).
  const noIpv6 = (dev) => `net.ipv6.conf.${dev}.disable_ipv6=1`;
  for (const run of [
    () => sh('sysctl', '-qw', noIpv6(hostIf)),
    () => inNs(router, 'sysctl', '-qw', noIpv6(routerHostIf)),
    () => inNs(router, 'sysctl', '-qw', noIpv6(routerNsIf)),
    () => inNs(ns, 'sysctl', '-qw', noIpv6(nsIf)),
  ]) {
    try { run(); } catch { /* a kernel without IPv6 has nothing to disable */ }
  }
  return null;
}

/** Removes what `guestBehindRouter` made (what is not there is skipped). */
export function removeGuestNetwork({ ns, router, hostIf }) {
  try { sh('ip', 'link', 'del', hostIf); } catch { /* not there */ }
  for (const name of [ns, router]) {
    try { sh('ip', 'netns', 'del', name); } catch { /* not there */ }
  }
}
