#!/usr/bin/env node
// The one test command: installs the real servers the integration tests need (Debian packages, as root),
// builds, typechecks, lints, then runs every vitest suite. Prints a closing "N passed, N failed" line.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
// socat makes the pty pairs the Firmata tests put the virtual board on; the panel test drives Debian's
// chromium through playwright-core.
const needed = {
  mosquitto: 'mosquitto',
  mosquitto_sub: 'mosquitto-clients',
  influxd: 'influxdb',
  socat: 'socat',
  // The systemd watchdog test sends through systemd's own tool to a Python notification socket.
  'systemd-notify': 'systemd',
  python3: 'python3',
  chromium: 'chromium',
};

function onPath(cmd) {
  return (
    spawnSync('sh', ['-c', `command -v ${cmd} || test -x /usr/sbin/${cmd}`], { stdio: 'ignore' }).status === 0
  );
}

function step(name, cmd, args, env = {}) {
  const t0 = Date.now();
  console.log(`\n== ${name}`);
  const r = spawnSync(cmd, args, { stdio: 'inherit', cwd: root, env: { ...process.env, ...env } });
  console.log(`== ${name}: ${r.status === 0 ? 'ok' : 'FAILED'} (${((Date.now() - t0) / 1000).toFixed(1)} s)`);
  return r.status === 0;
}

function installServers() {
  const missing = [
    ...new Set(
      Object.entries(needed)
        .filter(([c]) => !onPath(c))
        .map(([, p]) => p),
    ),
  ];
  if (missing.length === 0) return;
  if (process.getuid?.() !== 0) {
    console.error(
      `Missing ${missing.join(', ')}. Install them: sudo apt-get install -y ${missing.join(' ')}`,
    );
    process.exit(1);
  }
  console.log(`== installing ${missing.join(', ')} (apt-get)`);
  // Keep the packages' own services from starting on the default ports: tests start their own.
  const policy = '/usr/sbin/policy-rc.d';
  const ownPolicy = !existsSync(policy);
  if (ownPolicy) writeFileSync(policy, '#!/bin/sh\nexit 101\n', { mode: 0o755 });
  try {
    const env = { ...process.env, DEBIAN_FRONTEND: 'noninteractive' };
    execFileSync('apt-get', ['update', '-qq'], { stdio: 'inherit', env });
    execFileSync('apt-get', ['install', '-y', '-qq', '--no-install-recommends', ...missing], {
      stdio: 'inherit',
      env,
    });
  } finally {
    if (ownPolicy) rmSync(policy, { force: true });
  }
}

installServers();
const node = process.execPath;
const bin = (pkg, file) => join(root, 'node_modules', pkg, file);
let ok = step('build', node, [join(root, 'scripts', 'build.mjs')]);
ok = step('typecheck', node, [bin('typescript', 'bin/tsc'), '-p', 'tsconfig.json']) && ok;
ok = step('lint', node, [bin('@biomejs/biome', 'bin/biome'), 'check', '.']) && ok;

const results = join(root, '.vitest-results.json');
rmSync(results, { force: true });
const extra = process.argv.slice(2);
ok =
  step('vitest', node, [
    bin('vitest', 'vitest.mjs'),
    'run',
    '--reporter=default',
    '--reporter=json',
    `--outputFile.json=${results}`,
    ...extra,
  ]) && ok;

let passed = 0;
let failed = 0;
let skipped = 0;
if (existsSync(results)) {
  const r = JSON.parse(readFileSync(results, 'utf8'));
  passed = r.numPassedTests;
  failed = r.numFailedTests;
  skipped = r.numPendingTests + r.numTodoTests;
  if (r.numTotalTests === 0) ok = false;
} else ok = false;
console.log(`\n${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(ok && failed === 0 ? 0 : 1);
