/**
 * The built launcher (`cellrig start`) in a process of its own, as a person or systemd runs it: spawned
 * with an environment, its output collected, its exit timed. Every process started and folder made here
 * is killed and removed by cleanUpLaunches() (call it from the test file's afterAll).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const root = join(__dirname, '../..');
const children: ChildProcess[] = [];
const dirs: string[] = [];

export function cleanUpLaunches(): void {
  for (const c of children) if (c.exitCode === null && c.signalCode === null) c.kill('SIGKILL');
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

/** Registers a child process started elsewhere in the test, so cleanUpLaunches() kills it too. */
export function ownChild(c: ChildProcess): void {
  children.push(c);
}

export type Launched = {
  proc: ChildProcess;
  log: () => string;
  /** Exit code and milliseconds from spawn to exit. */
  exited: Promise<{ code: number | null; ms: number }>;
};

/**
 * `cellrig start` with `vars` over this process's environment, minus the variables that would point it
 * at the test's own services (MQTT_URL, INFLUX_URL, ...) unless `vars` sets them; undefined deletes one.
 */
export function launch(vars: Record<string, string | undefined>, args: string[] = []): Launched {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const k of [
    'MQTT_URL',
    'INFLUX_URL',
    'RIG_ID',
    'INFLUX_DB',
    'MQTT_USER',
    'MQTT_PASSWORD',
    'CELLRIG_CREDENTIAL_SECRET',
  ])
    delete env[k];
  for (const [k, v] of Object.entries(vars))
    if (v === undefined) delete env[k];
    else env[k] = v;
  const t0 = Date.now();
  const proc = spawn(process.execPath, [join(root, 'dist/bin/cellrig.js'), 'start', ...args], {
    env,
    cwd: root,
  });
  children.push(proc);
  let out = '';
  proc.stdout?.on('data', (b: Buffer) => (out += b));
  proc.stderr?.on('data', (b: Buffer) => (out += b));
  const exited = new Promise<{ code: number | null; ms: number }>((r) =>
    proc.once('exit', (code) => r({ code, ms: Date.now() - t0 })),
  );
  return { proc, log: () => out, exited };
}

/** A fresh CELLRIG_DATA. */
export function dataFolder(): string {
  const d = mkdtempSync(join(tmpdir(), 'cellrig-start-'));
  dirs.push(d);
  return d;
}

/** Polls `probe` every 100 ms until it holds; the milliseconds it took, or an error naming `what`. */
export async function waitFor(what: string, ms: number, probe: () => Promise<boolean>): Promise<number> {
  const t0 = Date.now();
  while (Date.now() - t0 < ms) {
    if (await probe().catch(() => false)) return Date.now() - t0;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`${what} not within ${ms} ms`);
}
