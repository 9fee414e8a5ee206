/**
 * Two linked pseudo-terminals from Debian's socat: what one end writes, the other reads, through the
 * kernel's tty layer, as a USB serial adapter would carry it. socat rather than node-pty (a native addon
 * that spawns a child on a pty, not a free pair) or a python3 relay (more code to own): one well-known
 * program, no build, and killing it makes both ends vanish as an unplugged board's port does.
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export type PtyPair = {
  /** The end the host opens (a stable symlink to /dev/pts/N, like /dev/ttyACM0). */
  hostPath: string;
  /** The end the virtual board opens. */
  boardPath: string;
  /** Ends socat: both ends vanish. */
  close(): Promise<void>;
};

export function socatAvailable(): boolean {
  return spawnSync('socat', ['-V'], { stdio: 'ignore' }).status === 0;
}

/** Starts socat with both ends as symlinks in `dir` (a new temporary folder by default). */
export async function openPtyPair(dir?: string, timeoutMs = 5000): Promise<PtyPair> {
  if (!socatAvailable()) throw new Error('socat not found: install it (apt-get install socat)');
  const folder = dir ?? mkdtempSync(join(tmpdir(), 'cellrig-pty-'));
  const hostPath = join(folder, 'ttyFIRMATA');
  const boardPath = join(folder, 'board');
  const opts = 'raw,echo=0';
  const child: ChildProcess = spawn(
    'socat',
    ['-d', '-d', `pty,${opts},link=${hostPath}`, `pty,${opts},link=${boardPath}`],
    { stdio: ['ignore', 'ignore', 'pipe'] },
  );
  let log = '';
  child.stderr?.on('data', (b: Buffer) => {
    log += b;
  });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const t0 = Date.now();
  // socat logs "starting data transfer loop" once both ptys and their links exist.
  while (!/starting data transfer loop/.test(log) || !existsSync(hostPath) || !existsSync(boardPath)) {
    if (child.exitCode !== null || Date.now() - t0 > timeoutMs) {
      child.kill('SIGKILL');
      throw new Error(`socat did not make a pty pair: ${log.trim() || `exit ${child.exitCode}`}`);
    }
    await new Promise((r) => setTimeout(r, 10));
  }
  return {
    hostPath,
    boardPath,
    close: async () => {
      if (child.exitCode === null && child.signalCode === null) {
        child.kill('SIGTERM');
        await exited;
      }
      if (!dir) rmSync(folder, { recursive: true, force: true });
    },
  };
}
