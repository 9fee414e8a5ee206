/**
 * Relay-channel interlock. Each cell channel has two relays: one to its cycler, one to the shared
 * impedance analyser. The analyser must never see two cells at once (it would short one cell through the
 * other), and a cell is never on its cycler and the analyser together. So every change is
 * break-before-make: open what must open, wait the contact release time, read the auxiliary contacts back
 * to prove they opened, and only then close the new path. A contact that stays closed (welded) stops the
 * change, raises one alarm and faults the channel; a faulted or isolated channel is refused.
 *
 * Requests run one at a time, in order. Pure logic over an abstract relay bank and the clock.
 */
import { z } from 'zod';
import type { Clock } from '../clock';
import { idSchema } from '../rig/config';
import { AlarmLatch, type ControlEvent } from './events';

/** The relay board as the interlock sees it: coils to drive and auxiliary contacts to read back. */
export interface RelayBank {
  setCoils(coils: readonly boolean[]): Promise<void>;
  /** Contact states read back, one per relay (true = closed). */
  readContacts(): Promise<boolean[]>;
}

export const interlockConfigSchema = z.object({
  channels: z
    .array(
      z.object({
        channel: idSchema,
        cyclerRelay: z.number().int().min(0).max(15),
        analyserRelay: z.number().int().min(0).max(15),
      }),
    )
    .min(1)
    .max(8)
    .refine((chs) => new Set(chs.map((c) => c.channel)).size === chs.length, 'channel ids must be unique')
    .refine((chs) => {
      const relays = chs.flatMap((c) => [c.cyclerRelay, c.analyserRelay]);
      return new Set(relays).size === relays.length;
    }, 'each relay may serve one path only'),
  /** Longest operate or release time of the relays, with margin, ms. */
  contactTimeMs: z.number().int().min(1).max(5000).default(25),
});
export type InterlockConfig = z.infer<typeof interlockConfigSchema>;

export type ChannelPath = 'off' | 'cycler' | 'analyser';
export type ChannelState = ChannelPath | 'isolated' | 'fault';
export type SwitchResult =
  | { ok: true; state: ChannelState }
  | { ok: false; state: ChannelState; reason: string };

export class ChannelInterlock {
  readonly config: InterlockConfig;
  private readonly coils: boolean[];
  private readonly states = new Map<string, ChannelState>();
  private readonly alarms = new AlarmLatch();
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly bank: RelayBank,
    private readonly clock: Clock,
    config: z.input<typeof interlockConfigSchema>,
    private readonly onEvent: (e: ControlEvent) => void = () => undefined,
  ) {
    this.config = interlockConfigSchema.parse(config);
    const n = Math.max(...this.config.channels.flatMap((c) => [c.cyclerRelay, c.analyserRelay])) + 1;
    this.coils = new Array(n).fill(false);
    for (const c of this.config.channels) this.states.set(c.channel, 'off');
  }

  state(channel: string): ChannelState | undefined {
    return this.states.get(channel);
  }

  /** The channel on the analyser, if any. */
  get onAnalyser(): string | undefined {
    return [...this.states].find(([, s]) => s === 'analyser')?.[0];
  }

  /** Opens every relay (start-up, shutdown, node close): nothing connected. */
  allOff(): Promise<void> {
    return this.serial(async () => {
      this.coils.fill(false);
      await this.bank.setCoils(this.coils);
      for (const [ch, s] of this.states) if (s !== 'isolated' && s !== 'fault') this.states.set(ch, 'off');
    });
  }

  /** Moves a channel to a path: off, its cycler, or the analyser (taking the analyser from whoever has it). */
  request(channel: string, path: ChannelPath): Promise<SwitchResult> {
    return this.serial(() => this.switchTo(channel, path));
  }

  /** Disconnects a faulted cell from everything and keeps it off until restored. */
  isolate(channel: string, reason = 'isolated by operator'): Promise<SwitchResult> {
    return this.serial(async () => {
      const ch = this.find(channel);
      if (!ch) return { ok: false, state: 'off', reason: `unknown channel '${channel}'` } as SwitchResult;
      this.coils[ch.cyclerRelay] = false;
      this.coils[ch.analyserRelay] = false;
      await this.bank.setCoils(this.coils);
      await this.clock.sleep(this.config.contactTimeMs);
      const welded = await this.weldedAmong([ch.cyclerRelay, ch.analyserRelay]);
      this.states.set(channel, welded.length ? 'fault' : 'isolated');
      this.emit('event', 'isolated', `channel ${channel} isolated: ${reason}`, { channel });
      if (welded.length) return this.weld(channel, welded);
      return { ok: true, state: 'isolated' } as SwitchResult;
    });
  }

  /** Returns an isolated (or faulted, once repaired) channel to service, disconnected. */
  restore(channel: string): Promise<SwitchResult> {
    return this.serial(async () => {
      const ch = this.find(channel);
      if (!ch) return { ok: false, state: 'off', reason: `unknown channel '${channel}'` } as SwitchResult;
      const welded = await this.weldedAmong([ch.cyclerRelay, ch.analyserRelay]);
      if (welded.length)
        return { ok: false, state: 'fault', reason: `relay ${welded.join(', ')} still closed` };
      this.states.set(channel, 'off');
      for (const r of [ch.cyclerRelay, ch.analyserRelay]) this.alarms.clear(`relay-welded-${r}`);
      this.emit('event', 'restored', `channel ${channel} back in service`, { channel });
      return { ok: true, state: 'off' } as SwitchResult;
    });
  }

  private async switchTo(channel: string, path: ChannelPath): Promise<SwitchResult> {
    const ch = this.find(channel);
    if (!ch) return { ok: false, state: 'off', reason: `unknown channel '${channel}'` };
    const current = this.states.get(channel)!;
    if (current === 'isolated' || current === 'fault') {
      return { ok: false, state: current, reason: `channel ${channel} is ${current}` };
    }
    if (current === path) return { ok: true, state: current };

    // Break: everything that must be open before the new path closes.
    const mustOpen = [path === 'cycler' ? ch.analyserRelay : ch.cyclerRelay];
    if (path === 'off') mustOpen.push(ch.analyserRelay);
    if (path === 'analyser') {
      for (const other of this.config.channels) if (other !== ch) mustOpen.push(other.analyserRelay);
    }
    const wasClosed = mustOpen.some((r) => this.coils[r]);
    for (const r of mustOpen) this.coils[r] = false;
    if (wasClosed) {
      await this.bank.setCoils(this.coils);
      await this.clock.sleep(this.config.contactTimeMs);
    }
    for (const other of this.config.channels) {
      if (this.states.get(other.channel) === 'analyser' && path === 'analyser' && other !== ch) {
        this.states.set(other.channel, 'off');
      }
    }
    // Prove it: the auxiliary contacts, not the coils, say what is connected.
    const welded = await this.weldedAmong(mustOpen);
    if (welded.length) {
      const owner = this.config.channels.find(
        (c) => welded.includes(c.cyclerRelay) || welded.includes(c.analyserRelay),
      )!;
      this.states.set(owner.channel, 'fault');
      return this.weld(owner.channel, welded, channel);
    }
    if (path === 'off') {
      this.states.set(channel, 'off');
      this.emit('event', 'path', `channel ${channel} disconnected`, { channel, path });
      return { ok: true, state: 'off' };
    }
    // Make.
    const relay = path === 'cycler' ? ch.cyclerRelay : ch.analyserRelay;
    this.coils[relay] = true;
    await this.bank.setCoils(this.coils);
    await this.clock.sleep(this.config.contactTimeMs);
    const contacts = await this.bank.readContacts();
    if (!contacts[relay]) {
      this.coils[relay] = false;
      await this.bank.setCoils(this.coils);
      this.states.set(channel, 'off');
      this.alarm(`relay-open-${relay}`, `relay ${relay} did not close`, { channel });
      return { ok: false, state: 'off', reason: `relay ${relay} did not close` };
    }
    this.states.set(channel, path);
    this.emit('event', 'path', `channel ${channel} on the ${path}`, { channel, path });
    return { ok: true, state: path };
  }

  private async weldedAmong(relays: number[]): Promise<number[]> {
    const contacts = await this.bank.readContacts();
    return relays.filter((r) => contacts[r]);
  }

  private weld(channel: string, welded: number[], requestedBy?: string): SwitchResult {
    for (const r of welded) {
      this.alarm(`relay-welded-${r}`, `relay ${r} of channel ${channel} is welded closed`, {
        channel,
        relay: r,
      });
    }
    const reason = `relay ${welded.join(', ')} of channel ${channel} welded closed${requestedBy ? `: ${requestedBy} not connected` : ''}`;
    return { ok: false, state: this.states.get(requestedBy ?? channel) ?? 'fault', reason };
  }

  private find(channel: string) {
    return this.config.channels.find((c) => c.channel === channel);
  }

  private nowS(): number {
    return this.clock.now() / 1000;
  }

  /** Raises an alarm once per code (until cleared) and sends it out. */
  private alarm(code: string, message: string, data: ControlEvent['data']): void {
    const out: ControlEvent[] = [];
    this.alarms.raise(out, code, this.nowS(), message, data);
    for (const e of out) this.onEvent(e);
  }

  private emit(kind: ControlEvent['kind'], code: string, message: string, data?: ControlEvent['data']): void {
    this.onEvent({ kind, code, timeS: this.nowS(), message, ...(data ? { data } : {}) });
  }

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(fn);
    this.queue = run.catch(() => undefined);
    return run;
  }
}
