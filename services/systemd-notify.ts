/**
 * systemd's notification protocol (READY=1, WATCHDOG=1, STOPPING=1) without a native module. Node cannot
 * send a unix datagram by itself, and the npm packages that can (sd-notify, unix-dgram) are native builds
 * that need libsystemd headers or a compiler on the Pi. So each message is sent by `systemd-notify`,
 * systemd's own tool, which every systemd install has, spawned without blocking the event loop. Since
 * systemd 246 (Debian 12 and Raspberry Pi OS ship 252) it waits until the manager has processed the message
 * (sd_notify_barrier), so a message is never lost to the tool's early exit; the unit needs
 * NotifyAccess=all because the sender is a child of the main process (deploy/systemd/cellrig.service).
 *
 * Without NOTIFY_SOCKET (not started by systemd) every call is a no-op.
 */
import { execFile } from 'node:child_process';

export type NotifyEnv = { NOTIFY_SOCKET?: string; WATCHDOG_USEC?: string; WATCHDOG_PID?: string };

export class SystemdNotifier {
  private inFlight = false;
  private lastWatchdogMs = Number.NEGATIVE_INFINITY;
  private sentCount = 0;

  constructor(
    private readonly env: NotifyEnv = process.env as NotifyEnv,
    private readonly command = 'systemd-notify',
  ) {}

  /** Started by systemd with a notification socket. */
  get enabled(): boolean {
    return !!this.env.NOTIFY_SOCKET;
  }

  /** How often to ping systemd's watchdog, ms: half its WatchdogSec; undefined when it has none for us. */
  get watchdogIntervalMs(): number | undefined {
    const usec = Number(this.env.WATCHDOG_USEC);
    if (!this.enabled || !(usec > 0)) return undefined;
    if (this.env.WATCHDOG_PID && Number(this.env.WATCHDOG_PID) !== process.pid) return undefined;
    return usec / 1000 / 2;
  }

  /** Messages handed to systemd-notify so far (for tests and the status). */
  get sent(): number {
    return this.sentCount;
  }

  /** Sends the states; resolves true when systemd-notify succeeded. Never rejects. */
  send(...states: string[]): Promise<boolean> {
    if (!this.enabled) return Promise.resolve(false);
    this.sentCount++;
    return new Promise((resolve) => {
      execFile(this.command, states, { env: { ...process.env, ...this.env }, timeout: 5000 }, (err) =>
        resolve(!err),
      );
    });
  }

  ready(status = 'flows running'): Promise<boolean> {
    return this.send('READY=1', `STATUS=${status}`);
  }

  stopping(): Promise<boolean> {
    return this.send('STOPPING=1');
  }

  /**
   * Pings the watchdog, at most once per interval, one at a time. Call it only while the control loops are
   * healthy: a process whose loops are stuck then stops pinging, and systemd restarts it.
   */
  watchdog(nowMs = Date.now()): void {
    const interval = this.watchdogIntervalMs;
    if (interval === undefined || this.inFlight || nowMs - this.lastWatchdogMs < interval) return;
    this.inFlight = true;
    this.lastWatchdogMs = nowMs;
    void this.send('WATCHDOG=1').finally(() => {
      this.inFlight = false;
    });
  }
}

/** The process's notifier, from its environment. */
export const systemd = new SystemdNotifier();
