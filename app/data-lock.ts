/**
 * One cellrig per data folder. Two launchers on one CELLRIG_DATA would share the telemetry journal and
 * issue the same seqs twice, so the folder is locked: `cellrig.lock` holds the owner's pid, its start
 * time in the kernel's ticks and the boot id. A second start is refused, naming the folder and the
 * holder's pid. A lock whose holder is gone (a dead pid, a pid reused by another program, a lock from
 * before a reboot) is taken over at once.
 *
 * Why by hand: proper-lockfile, the common library, judges staleness by an mtime it refreshes on a
 * timer, so a crashed rig could not restart for its whole stale period and the message could not name
 * the holder. The lock file is created whole (written aside, then hard-linked into place, which fails
 * if it exists) and replaced by rename, which is atomic, so no reader ever sees a half-written lock and
 * the path never goes missing while a stale lock is taken over.
 */
import { randomBytes } from 'node:crypto';
import { linkSync, openSync, readFileSync, renameSync, statSync, unlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export type LockHolder = { pid: number; startTicks?: string; bootId?: string; since: string; nonce: string };

export class DataFolderInUse extends Error {}

export type DataLock = { readonly file: string; release(): void };

const LOCK = 'cellrig.lock';
/** A takeover takes microseconds; a guard file this old was left by a taker that died. */
const GUARD_STALE_MS = 10_000;

export function lockDataFolder(dir: string): DataLock {
  const file = join(dir, LOCK);
  const own: LockHolder = {
    pid: process.pid,
    startTicks: startTicks(process.pid),
    bootId: bootId(),
    since: new Date().toISOString(),
    nonce: randomBytes(8).toString('hex'),
  };
  const aside = `${file}.${process.pid}.${own.nonce}`;
  writeFileSync(aside, `${JSON.stringify(own)}\n`, { mode: 0o600 });
  try {
    acquire(file, aside);
  } finally {
    unlinkQuietly(aside);
  }
  return {
    file,
    release() {
      // Only our own: a lock taken over after we were judged gone is someone else's now.
      if (readHolder(file)?.nonce === own.nonce) unlinkQuietly(file);
    },
  };
}

function acquire(file: string, aside: string): void {
  for (let attempt = 0; attempt < 50; attempt++) {
    try {
      linkSync(aside, file);
      return;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    const text = readText(file);
    if (text === undefined) continue; // released between the link and the read
    const holder = parseHolder(text);
    if (holder && isAlive(holder)) {
      throw new DataFolderInUse(
        `CELLRIG_DATA ${file.slice(0, -LOCK.length - 1)} is in use by another cellrig (pid ${holder.pid}, ` +
          `since ${holder.since}); stop that one first, or give this one its own CELLRIG_DATA`,
      );
    }
    if (takeOver(file, aside, text)) return;
    sleepMs(20);
  }
  throw new DataFolderInUse(`CELLRIG_DATA: could not take the stale lock ${file}; remove it by hand`);
}

/** Replaces the stale lock `seen` by ours, under a guard so two newcomers cannot both take it. */
function takeOver(file: string, aside: string, seen: string): boolean {
  const guard = `${file}.takeover`;
  try {
    openSync(guard, 'wx', 0o600);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    const age = Date.now() - (statQuietly(guard)?.mtimeMs ?? Date.now());
    if (age > GUARD_STALE_MS) unlinkQuietly(guard);
    return false;
  }
  try {
    if (readText(file) !== seen) return false; // someone else took it: judge the new holder afresh
    renameSync(aside, file);
    return true;
  } finally {
    unlinkQuietly(guard);
  }
}

function isAlive(holder: LockHolder): boolean {
  if (holder.pid === process.pid) return false; // a lock from an earlier run that had our pid (containers)
  try {
    process.kill(holder.pid, 0);
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ESRCH') return false;
  }
  // The pid exists; it is the holder only if it is the same boot and the same process start.
  const boot = bootId();
  if (holder.bootId && boot && holder.bootId !== boot) return false;
  const ticks = startTicks(holder.pid);
  return !(holder.startTicks && ticks && holder.startTicks !== ticks);
}

function parseHolder(text: string): LockHolder | undefined {
  try {
    const v = JSON.parse(text) as Partial<LockHolder>;
    if (Number.isInteger(v.pid) && (v.pid as number) > 0 && typeof v.nonce === 'string')
      return { since: '?', ...v } as LockHolder;
  } catch {
    // unreadable: a lock no cellrig wrote whole, so nobody holds it
  }
  return undefined;
}

function readHolder(file: string): LockHolder | undefined {
  const text = readText(file);
  return text === undefined ? undefined : parseHolder(text);
}

/** Linux: the process's start time since boot (field 22 of /proc/<pid>/stat), to tell a reused pid. */
function startTicks(pid: number): string | undefined {
  const stat = readText(`/proc/${pid}/stat`);
  if (!stat) return undefined;
  // The command name (field 2) is in parentheses and may hold spaces: count from after it.
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
}

function bootId(): string | undefined {
  return readText('/proc/sys/kernel/random/boot_id')?.trim();
}

function readText(file: string): string | undefined {
  try {
    return readFileSync(file, 'utf8');
  } catch {
    return undefined;
  }
}

function statQuietly(file: string) {
  try {
    return statSync(file);
  } catch {
    return undefined;
  }
}

function unlinkQuietly(file: string): void {
  try {
    unlinkSync(file);
  } catch {
    // already gone
  }
}

function sleepMs(ms: number): void {
  Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
}
