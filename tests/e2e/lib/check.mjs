// Small helpers for the story: named steps, waiting for a condition, and percentiles.

export function log(...args) {
  console.log(`[e2e ${new Date().toISOString().slice(11, 23)}]`, ...args);
}

export async function step(name, fn) {
  const started = Date.now();
  log(`▶ ${name}`);
  const value = await fn();
  log(`✓ ${name} (${Date.now() - started} ms)`);
  return value;
}

/** Polls `probe` until it returns a truthy value; fails with `what` after `ms`. */
export async function until(what, probe, ms = 30_000, every = 250) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    last = await probe();
    if (last) return last;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for: ${what}`);
    await new Promise((r) => setTimeout(r, every));
  }
}

export function assert(condition, message) {
  if (!condition) throw new Error(`assertion failed: ${message}`);
}

export function percentile(values, p) {
  const sorted = values.filter((v) => typeof v === 'number').sort((a, b) => a - b);
  if (!sorted.length) return null;
  const rank = (p / 100) * (sorted.length - 1);
  const lo = Math.floor(rank);
  const hi = Math.ceil(rank);
  return Math.round(sorted[lo] + (sorted[hi] - sorted[lo]) * (rank - lo));
}

/** Today + `days` as YYYY-MM-DD in Dutch time (the server's validation uses UTC dates). */
export function dutchDate(days) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Europe/Amsterdam' }).format(new Date(Date.now() + days * 86400000));
}
