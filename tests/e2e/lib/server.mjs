// Starts the already-built debug binary on a free port with a fresh data directory (the demo
// workspace seeded), and stops it again. Builds nothing itself.

import { spawn } from 'node:child_process';
import { createServer } from 'node:net';
import { mkdtempSync, existsSync, createWriteStream } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

export function repoRoot() {
  return resolve(new URL('../../..', import.meta.url).pathname);
}

/** The binary: $KETENTAFEL_BIN, else $CARGO_TARGET_DIR/debug, else target/debug. */
export function binaryPath() {
  if (process.env.KETENTAFEL_BIN) return process.env.KETENTAFEL_BIN;
  const target = process.env.CARGO_TARGET_DIR || join(repoRoot(), 'target');
  return join(target, 'debug', 'ketentafel');
}

function freePort() {
  return new Promise((ok, fail) => {
    const srv = createServer();
    srv.once('error', fail);
    srv.listen(0, '127.0.0.1', () => {
      const { port } = srv.address();
      srv.close(() => ok(port));
    });
  });
}

/**
 * Starts the server; resolves with { base, dataDir, log, stop(), restart() } once /healthz
 * answers. The conference and steering stories play on the demo's one case (`history: false`,
 * so what they count stays theirs); the admin story starts its own server with the year of
 * history. `host` is the address to listen on (the recover story listens on a veth of its own);
 * `args` and `env` add command-line arguments and settings (the TURN story's ICE servers, the
 * Firefox story's media address). `restart()` kills the server hard (SIGKILL, as a crash would)
 * and starts it again on the same data and port; it resolves with the moment /healthz answered
 * again. `kill()` kills it hard and leaves it dead (the nodes story: another node takes over);
 * it resolves once the process is gone.
 */
export async function startServer(artifacts, { history = false, name = 'server', host = '127.0.0.1', args = [], env = {} } = {}) {
  const bin = binaryPath();
  if (!existsSync(bin)) throw new Error(`${bin} does not exist: build it first (cargo build)`);
  const port = await freePort();
  const dataDir = mkdtempSync(join(tmpdir(), 'ketentafel-e2e-'));
  const log = join(artifacts, `${name}.log`);
  const out = createWriteStream(log);
  const base = `http://${host}:${port}`;
  let child = null;
  let exited = null;
  const spawnOne = () => {
    exited = null;
    child = spawn(bin, ['--demo', '--demo-history', String(history), '--data-dir', dataDir, '--bind', `${host}:${port}`, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
      // No background engine run: the steering story runs the rules itself and checks what opened.
      env: { ...process.env, KETENTAFEL_LOG: process.env.KETENTAFEL_LOG || 'info', KETENTAFEL_ENGINE_INTERVAL_SECS: '0', ...env },
    });
    child.stdout.pipe(out, { end: false });
    child.stderr.pipe(out, { end: false });
    const mine = child;
    mine.on('exit', (code, signal) => { if (child === mine) exited = code ?? signal; });
  };
  const healthy = async () => {
    const deadline = Date.now() + 60_000;
    for (;;) {
      if (exited !== null) throw new Error(`the server exited with ${exited}; see ${log}`);
      try {
        const res = await fetch(`${base}/healthz`);
        if (res.ok) return Date.now();
      } catch { /* not up yet */ }
      if (Date.now() > deadline) throw new Error(`the server did not answer within 60 s; see ${log}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  };
  spawnOne();
  await healthy();
  return {
    base, dataDir, log,
    stop: () => new Promise((ok) => {
      if (exited !== null) return ok();
      child.once('exit', ok);
      child.kill('SIGTERM');
      setTimeout(() => { if (exited === null) child.kill('SIGKILL'); }, 5000);
    }),
    kill: () => new Promise((ok) => {
      if (exited !== null) return ok();
      child.once('exit', () => ok());
      child.kill('SIGKILL');
    }),
    restart: async () => {
      const old = child;
      await new Promise((ok) => { old.once('exit', ok); old.kill('SIGKILL'); });
      const killedAt = Date.now();
      spawnOne();
      return { killedAt, healthyAt: await healthy() };
    },
  };
}
