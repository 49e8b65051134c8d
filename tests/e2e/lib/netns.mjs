// Commands for the stories that build a network of their own (network namespaces, veth pairs):
// they need root, and say so when they cannot.

import { execFileSync } from 'node:child_process';

/** Runs a command; its output, or an error carrying its stderr. */
export function sh(...args) {
  return execFileSync(args[0], args.slice(1), { stdio: ['ignore', 'pipe', 'pipe'] }).toString();
}

/** Runs a command inside network namespace `ns`. */
export const inNs = (ns, ...args) => sh('ip', 'netns', 'exec', ns, ...args);
