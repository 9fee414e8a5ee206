/**
 * Where and how the docs test runs the docs' commands: a working folder per page whose entries are
 * symlinks to the checkout's top-level entries (so `examples/data/...`, `package.json` and `npx cellrig`
 * resolve as in the checkout, and what a command writes lands in the temporary folder), and the process
 * handling for one-shot commands and long-running servers (stopped with SIGINT, as Ctrl-C does).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** Top-level entries a page's folder does not see: the repository's history and a rig's own data. */
const HIDDEN = new Set(['.git', '.cellrig', '.env', '.vitest-results.json', 'coverage']);

export function makeWorkspace(repoRoot: string, name: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), `cellrig-docs-${name.replace(/[^a-z0-9]+/gi, '-')}-`));
  for (const entry of readdirSync(repoRoot)) {
    if (!HIDDEN.has(entry)) symlinkSync(path.join(repoRoot, entry), path.join(dir, entry));
  }
  return dir;
}

export function removeDir(dir: string): void {
  rmSync(dir, { recursive: true, force: true });
}

export async function freePort(): Promise<number> {
  return await new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const a = s.address();
      s.close(() => resolve(typeof a === 'object' && a ? a.port : 0));
    });
  });
}

/**
 * The environment the docs' commands see: the test's own, less vitest's variables, with npm's cache in a
 * temporary folder (npx's first run in a folder installs a link there) and no update check.
 */
export function commandEnv(extra: Record<string, string>): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('VITEST') || k === 'TEST' || (k === 'NODE_ENV' && v === 'test')) continue;
    env[k] = v;
  }
  return { ...env, npm_config_update_notifier: 'false', npm_config_fund: 'false', ...extra };
}

export type Finished = {
  code: number | null;
  signal: NodeJS.Signals | null;
  output: string;
  timedOut: boolean;
};

type Started = { child: ChildProcess; output: () => string; exited: Promise<Finished> };

function start(command: string, cwd: string, env: NodeJS.ProcessEnv): Started {
  // Its own process group, so a stop reaches every process the command started (npm, sh, node), as
  // Ctrl-C in a terminal does.
  const child = spawn('bash', ['-c', command], {
    cwd,
    env,
    detached: true,
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  child.stdout?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  child.stderr?.on('data', (d: Buffer) => {
    out += d.toString();
  });
  const exited = new Promise<Finished>((resolve) => {
    child.once('close', (code, signal) => resolve({ code, signal, output: out, timedOut: false }));
    child.once('error', (err) =>
      resolve({ code: null, signal: null, output: `${out}\n${err.message}`, timedOut: false }),
    );
  });
  return { child, output: () => out, exited };
}

function killGroup(child: ChildProcess, signal: NodeJS.Signals): void {
  try {
    if (child.pid !== undefined) process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

/** Runs one command to its end (killed, with its group, after timeoutMs). */
export async function runCommand(
  command: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  timeoutMs: number,
): Promise<Finished> {
  const s = start(command, cwd, env);
  const timer = setTimeout(() => killGroup(s.child, 'SIGKILL'), timeoutMs);
  const r = await s.exited;
  clearTimeout(timer);
  return { ...r, timedOut: r.signal === 'SIGKILL' };
}

export type Server = {
  readonly command: string;
  /** Resolves when the output contains the ready text; rejects when the process ends first or time runs out. */
  readonly ready: Promise<void>;
  /** SIGINT to the process group, then its exit (SIGKILL after timeoutMs). */
  stop(timeoutMs: number): Promise<Finished>;
  output(): string;
};

export function startServer(
  command: string,
  readyText: string,
  cwd: string,
  env: NodeJS.ProcessEnv,
  readyTimeoutMs: number,
): Server {
  const s = start(command, cwd, env);
  let ended = false;
  void s.exited.then(() => {
    ended = true;
  });
  const ready = new Promise<void>((resolve, reject) => {
    const t0 = Date.now();
    const poll = setInterval(() => {
      if (s.output().includes(readyText)) {
        clearInterval(poll);
        resolve();
      } else if (ended) {
        clearInterval(poll);
        reject(new Error(`ended before it printed "${readyText}"`));
      } else if (Date.now() - t0 > readyTimeoutMs) {
        clearInterval(poll);
        reject(new Error(`did not print "${readyText}" within ${readyTimeoutMs / 1000} s`));
      }
    }, 100);
  });
  return {
    command,
    ready,
    output: s.output,
    async stop(timeoutMs: number): Promise<Finished> {
      if (!ended) killGroup(s.child, 'SIGINT');
      let timedOut = false;
      const timer = setTimeout(() => {
        timedOut = true;
        killGroup(s.child, 'SIGKILL');
      }, timeoutMs);
      const r = await s.exited;
      clearTimeout(timer);
      return { ...r, timedOut };
    },
  };
}
