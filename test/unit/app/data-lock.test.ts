/**
 * One cellrig per data folder: a live holder refuses a second lock with its pid named; a lock whose
 * holder is gone (dead pid, reused pid, another boot, unreadable) is taken over; four processes racing
 * for one stale lock leave exactly one holder.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { lockDataFolder } from '../../../app/data-lock';

const dirs: string[] = [];
const children: ChildProcess[] = [];
afterEach(() => {
  for (const c of children.splice(0)) c.kill('SIGKILL');
  for (const d of dirs.splice(0)) rmSync(d, { recursive: true, force: true });
});
const folder = () => {
  const d = mkdtempSync(join(tmpdir(), 'cellrig-lock-'));
  dirs.push(d);
  return d;
};
const lockFile = (dir: string) => join(dir, 'cellrig.lock');
const holder = (dir: string) => JSON.parse(readFileSync(lockFile(dir), 'utf8')) as Record<string, unknown>;

/** A live process that is not a cellrig: its pid stands in for another instance's. */
function sleeper(): ChildProcess {
  const c = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  children.push(c);
  return c;
}
const ticksOf = (pid: number) => {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  return stat.slice(stat.lastIndexOf(')') + 2).split(' ')[19];
};
const bootId = () => readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim();

describe('data folder lock', () => {
  it('writes the holder (pid, start time, boot) owner-only and releases only its own lock', () => {
    const dir = folder();
    const lock = lockDataFolder(dir);
    expect(holder(dir)).toMatchObject({
      pid: process.pid,
      startTicks: ticksOf(process.pid),
      bootId: bootId(),
    });
    expect(statSync(lockFile(dir)).mode & 0o777).toBe(0o600);
    lock.release();
    expect(existsSync(lockFile(dir))).toBe(false);
    // Taken over by someone else meanwhile: release leaves theirs alone.
    const again = lockDataFolder(dir);
    const theirs = { pid: 1, nonce: 'theirs', since: 'x' };
    writeFileSync(lockFile(dir), JSON.stringify(theirs));
    again.release();
    expect(holder(dir)).toEqual(theirs);
  });

  it('refuses while the holder lives, naming the folder and its pid', () => {
    const dir = folder();
    const other = sleeper();
    const pid = other.pid!;
    writeFileSync(
      lockFile(dir),
      JSON.stringify({ pid, startTicks: ticksOf(pid), bootId: bootId(), since: 'then', nonce: 'n' }),
    );
    expect(() => lockDataFolder(dir)).toThrow(
      `CELLRIG_DATA ${dir} is in use by another cellrig (pid ${pid}, since then)`,
    );
    expect(holder(dir).pid).toBe(pid);
  });

  it('takes over a lock whose holder is gone: dead pid, reused pid, other boot, unreadable', async () => {
    const dead = sleeper();
    const deadPid = dead.pid!;
    dead.kill('SIGKILL');
    await new Promise((r) => dead.once('exit', r));
    const live = sleeper().pid!;
    const stale = [
      { pid: deadPid, nonce: 'a', since: 'x' },
      { pid: live, startTicks: '1', bootId: bootId(), nonce: 'b', since: 'x' }, // pid since reused
      { pid: live, startTicks: ticksOf(live), bootId: 'another-boot', nonce: 'c', since: 'x' },
      { pid: process.pid, nonce: 'd', since: 'x' }, // our own pid from an earlier run (containers)
    ];
    for (const content of [...stale.map((s) => JSON.stringify(s)), '', '{"pid":']) {
      const dir = folder();
      writeFileSync(lockFile(dir), content);
      const lock = lockDataFolder(dir);
      expect(holder(dir).pid).toBe(process.pid);
      lock.release();
    }
  });

  it('leaves exactly one holder when four processes race for one stale lock', async () => {
    const dir = folder();
    writeFileSync(lockFile(dir), JSON.stringify({ pid: 2 ** 22 + 1, nonce: 'gone', since: 'x' }));
    const racer = join(__dirname, '../../../dist/app/data-lock.js');
    // All four try at the same instant, after their (uneven) start-up.
    const at = Date.now() + 3000;
    const script = `
      const { lockDataFolder } = require(${JSON.stringify(racer)});
      while (Date.now() < ${at}) {}
      try { lockDataFolder(${JSON.stringify(dir)}); console.log('got'); setTimeout(() => {}, 1000); }
      catch (e) { console.log('refused: ' + e.message); }`;
    const outs = await Promise.all(
      [0, 1, 2, 3].map(
        () =>
          new Promise<string>((resolve) => {
            const c = spawn(process.execPath, ['-e', script]);
            children.push(c);
            let out = '';
            c.stdout.on('data', (b: Buffer) => (out += b));
            c.stdout.once('end', () => resolve(out.trim()));
          }),
      ),
    );
    expect(outs.filter((o) => o === 'got')).toHaveLength(1);
    for (const o of outs.filter((o) => o !== 'got'))
      expect(o).toMatch(/^refused: CELLRIG_DATA .* in use .*pid/);
  });
});
