/**
 * sd_notify through systemd's own `systemd-notify`, against a notification socket of our own (a unix
 * datagram socket in Python, which also closes the barrier fd systemd-notify waits on, as the manager does).
 */
import { type ChildProcess, spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { Heartbeat } from '../../devices/heartbeat';
import { SystemdNotifier } from '../../services/systemd-notify';
import { VirtualClock } from '../../src/clock';

const SERVER = `
import array, os, socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind(sys.argv[1])
print('listening', flush=True)
while True:
    msg, anc, _, _ = s.recvmsg(4096, socket.CMSG_SPACE(16 * 4))
    for level, kind, data in anc:
        if level == socket.SOL_SOCKET and kind == socket.SCM_RIGHTS:
            fds = array.array('i')
            fds.frombytes(data[: len(data) - len(data) % fds.itemsize])
            for fd in fds:
                os.close(fd)
    print(msg.decode().replace('\\n', ' '), flush=True)
`;

let server: ChildProcess | undefined;
let dir: string | undefined;
afterEach(() => {
  server?.kill();
  server = undefined;
  if (dir) rmSync(dir, { recursive: true, force: true });
});

async function notifySocket(): Promise<{ path: string; received: () => string[] }> {
  dir = mkdtempSync(join(tmpdir(), 'cellrig-notify-'));
  const path = join(dir, 'notify.sock');
  let out = '';
  server = spawn('python3', ['-c', SERVER, path]);
  server.stdout!.on('data', (d: Buffer) => {
    out += d.toString();
  });
  for (let i = 0; i < 100 && !out.includes('listening'); i++) await new Promise((r) => setTimeout(r, 50));
  expect(out).toContain('listening');
  return { path, received: () => out.split('\n').filter((l) => l && l !== 'listening') };
}

describe('systemd notifications', () => {
  it('has systemd-notify and python3 to test with', () => {
    expect(spawnSync('systemd-notify', ['--version']).status).toBe(0);
    expect(spawnSync('python3', ['--version']).status).toBe(0);
    expect(readFileSync(join(__dirname, '../../deploy/systemd/cellrig.service'), 'utf8')).toMatch(
      /Type=notify[\s\S]*NotifyAccess=all[\s\S]*WatchdogSec=\d+[\s\S]*Restart=on-failure/,
    );
  });

  it('sends READY=1 and STOPPING=1, each waited for by the barrier, and nothing without NOTIFY_SOCKET', async () => {
    const sock = await notifySocket();
    const n = new SystemdNotifier({ NOTIFY_SOCKET: sock.path });
    expect(await n.ready('rig rig01')).toBe(true);
    expect(await n.stopping()).toBe(true);
    expect(sock.received()).toEqual(['READY=1 STATUS=rig rig01', 'BARRIER=1', 'STOPPING=1', 'BARRIER=1']);
    expect(await new SystemdNotifier({}).ready()).toBe(false);
  });

  it('pings the watchdog from the heartbeat only while the loops are healthy, at half of WatchdogSec', async () => {
    const sock = await notifySocket();
    const n = new SystemdNotifier({ NOTIFY_SOCKET: sock.path, WATCHDOG_USEC: '400000' });
    expect(n.watchdogIntervalMs).toBe(200);
    const clock = new VirtualClock(Date.now());
    const pins: number[] = [];
    let healthy = true;
    const io = {
      pinMode: () => undefined,
      digitalWrite: (_p: number, v: number) => pins.push(v),
      MODES: { OUTPUT: 1 },
    };
    const hb = new Heartbeat(io, clock, {
      pin: 22,
      healthy: () => healthy,
      onBeat: () => n.watchdog(clock.now()),
    });
    hb.start();
    for (let i = 0; i < 8; i++) {
      clock.advance(250);
      await new Promise((r) => setTimeout(r, 100)); // let each systemd-notify finish
    }
    const pinged = sock.received().filter((l) => l === 'WATCHDOG=1').length;
    expect(pinged).toBeGreaterThanOrEqual(4);
    expect(pins.slice(0, 5)).toEqual([0, 1, 0, 1, 0]); // low at start, then an edge every 250 ms
    healthy = false;
    const edges = hb.edges;
    for (let i = 0; i < 8; i++) {
      clock.advance(250);
      await new Promise((r) => setTimeout(r, 50));
    }
    expect(sock.received().filter((l) => l === 'WATCHDOG=1').length).toBe(pinged);
    expect(hb.edges).toBe(edges);
    expect(pins[pins.length - 1]).toBe(0);
    hb.stop();
  });
});
