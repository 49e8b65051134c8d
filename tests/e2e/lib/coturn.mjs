// Debian's coturn (`turnserver`), started by the TURN story with TLS on port 443: a fresh
// self-signed certificate (openssl), the infra configuration as written (infra/coturn/
// turnserver.conf: every deny rule kept) with only the certificate paths, the plain port, the
// listening/relay address and the one allowed-peer-ip (the media server) put in.

import { spawn, execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, createWriteStream } from 'node:fs';
import { connect } from 'node:net';
import { networkInterfaces, tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoRoot } from './server.mjs';

/** The first non-loopback IPv4 address of this machine: coturn refuses loopback peers. */
export function machineAddress() {
  for (const list of Object.values(networkInterfaces())) {
    for (const a of list || []) if (a.family === 'IPv4' && !a.internal) return a.address;
  }
  throw new Error('this machine has no non-loopback IPv4 address for the media server and coturn');
}

/**
 * Starts coturn on `ip`: TLS on 443, plain TURN on `plainPort`, REST credentials under
 * `secret` (passed on the command line, as compose.yaml does, never written to the file),
 * `allowedPeer` as the only allowed-peer-ip. Resolves with { spki, certPem, config, log,
 * stop() } once the TLS port accepts connections. `spki` is the base64 SHA-256 of the
 * certificate's public key, for Chromium's --ignore-certificate-errors-spki-list.
 */
export async function startCoturn(artifacts, { ip, secret, allowedPeer, plainPort = 3478 }) {
  const dir = mkdtempSync(join(tmpdir(), 'ketentafel-coturn-'));
  const cert = join(dir, 'cert.pem');
  const key = join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes',
    '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=turn.ketentafel.test',
    '-addext', `subjectAltName=DNS:turn.ketentafel.test,IP:${ip}`], { stdio: 'ignore' });
  const pub = execFileSync('openssl', ['x509', '-in', cert, '-pubkey', '-noout']);
  const der = execFileSync('openssl', ['pkey', '-pubin', '-outform', 'der'], { input: pub });
  const spki = execFileSync('openssl', ['dgst', '-sha256', '-binary'], { input: der }).toString('base64');

  // The infra file is the tested truth: only the lines that name this machine are replaced.
  const infra = readFileSync(join(repoRoot(), 'infra', 'coturn', 'turnserver.conf'), 'utf8');
  const replaced = /^(cert|pkey|listening-port|tls-listening-port|listening-ip|relay-ip|allowed-peer-ip)=/;
  const config = [
    ...infra.split('\n').filter((line) => !replaced.test(line)),
    '# --- put in by tests/e2e/lib/coturn.mjs ---',
    `cert=${cert}`, `pkey=${key}`,
    `listening-port=${plainPort}`, 'tls-listening-port=443',
    `listening-ip=${ip}`, `relay-ip=${ip}`,
    `allowed-peer-ip=${allowedPeer}`, '',
  ].join('\n');
  const configPath = join(dir, 'turnserver.conf');
  writeFileSync(configPath, config);
  writeFileSync(join(artifacts, 'turnserver.conf'), config);

  const log = join(artifacts, 'coturn.log');
  const out = createWriteStream(log);
  const child = spawn('turnserver', ['-c', configPath, `--static-auth-secret=${secret}`, '--log-file=stdout', '--verbose',
    `--pidfile=${join(dir, 'turnserver.pid')}`], { stdio: ['ignore', 'pipe', 'pipe'] });
  child.stdout.pipe(out);
  child.stderr.pipe(out);
  let exited = null;
  child.on('exit', (code) => { exited = code; });
  const deadline = Date.now() + 15_000;
  for (;;) {
    if (exited !== null) throw new Error(`turnserver exited with ${exited}; see ${log}`);
    const open = await new Promise((ok) => {
      const s = connect({ host: ip, port: 443 }, () => { s.destroy(); ok(true); });
      s.on('error', () => ok(false));
    });
    if (open) break;
    if (Date.now() > deadline) throw new Error(`turnserver did not listen on ${ip}:443 within 15 s; see ${log}`);
    await new Promise((r) => setTimeout(r, 200));
  }
  return {
    spki, certPem: readFileSync(cert), config, log,
    /** What coturn logged so far (verbose: one line per request, with the user name). */
    logText: () => readFileSync(log, 'utf8'),
    stop: () => new Promise((ok) => {
      if (exited !== null) return ok();
      child.once('exit', ok);
      child.kill('SIGTERM');
      setTimeout(() => { if (exited === null) child.kill('SIGKILL'); }, 3000);
    }),
  };
}
