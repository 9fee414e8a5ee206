/**
 * The Firmata backend's IO: serialport -> firmata.js -> johnny-five's Board, behind one object that the
 * drivers keep for the life of the rig. It translates rig pins to the board's (devices/firmata-wiring.ts),
 * and it survives the line: when the port vanishes, errors, or the board resets (it announces itself
 * again), every pending I2C read is answered empty at once (a not-available reading, as StandardFirmata
 * answers a device that does not acknowledge), reads answer empty until the board is back, and the link
 * reconnects on the rig clock. On reconnect it replays I2C_CONFIG and the pin modes (an output comes back
 * low, as StandardFirmata sets it), never the last output values: the controllers drive them again.
 *
 * An unplugged port reaches serialport two ways, and which comes first is up to the OS and the moment: the
 * pending read fails (serialport then closes the port, 'close' with the read's error) or the next write
 * fails ('error', EIO on Linux, then the same close). Either is the port going away, and the first one
 * names the reason: "the serial port went away (unplugged?): " and the OS's words.
 */
import { EventEmitter } from 'node:events';
import { Board } from 'johnny-five';
import type { Clock, TimerHandle } from '../src/clock';
import { boardPin, type FirmataWiring, MEGA_2560_WIRING } from './firmata-wiring';

type Callback<T> = (value: T) => void;
type SerialPortLike = EventEmitter & {
  isOpen: boolean;
  write(data: Buffer, ...rest: unknown[]): boolean;
  drain(cb: (err?: Error | null) => void): void;
  close(cb?: (err?: Error | null) => void): void;
};
type SerialPortCtor = new (options: { path: string; baudRate: number; autoOpen?: boolean }) => SerialPortLike;
type FirmataIo = EventEmitter & {
  pinMode(pin: number, mode: number): void;
  digitalWrite(pin: number, value: number): void;
  digitalRead(pin: number, cb: Callback<number>): void;
  i2cConfig(options?: unknown): void;
  i2cWrite(address: number, bytes: number[]): void;
  i2cReadOnce(address: number, ...args: unknown[]): void;
  firmware?: { name?: string; version?: { major: number; minor: number } };
};
type FirmataCtor = new (transport: SerialPortLike, options: Record<string, unknown>) => FirmataIo;

/** The npm packages behind the serial path, loaded when a rig first opens its board. */
function loadSerialPort(): SerialPortCtor {
  try {
    return (require('serialport') as { SerialPort: SerialPortCtor }).SerialPort;
  } catch (err) {
    throw new Error(
      `not available: install serialport (npm install serialport@13; its binding failed to load: ${(err as Error).message.split('\n')[0]})`,
    );
  }
}
const loadFirmata = (): FirmataCtor => (require('firmata-io') as { Firmata: FirmataCtor }).Firmata;

export type LinkState = 'connecting' | 'ready' | 'lost' | 'closed';

export type FirmataLinkOptions = {
  wiring?: FirmataWiring;
  /** How long one connection attempt may take, real ms (the handshake is real I/O). */
  timeoutMs?: number;
  /** Between reconnection attempts, rig-clock ms. */
  retryMs?: number;
  /** The serial port class (serialport's SerialPort unless a test scripts the line). */
  serialPort?: SerialPortCtor;
};

/** The lost reason when an open port fails or closes under the link: the OS's words when it gave any. */
export function portGone(osReason: string | undefined): string {
  return `the serial port went away (unplugged?): ${osReason || 'it closed'}`;
}

export class FirmataLink extends EventEmitter {
  readonly MODES = { INPUT: 0, OUTPUT: 1 } as const;
  state: LinkState = 'connecting';
  /** Why the line was last lost. */
  lostReason: string | undefined;
  /** Bytes written to and read from the serial port, over every connection. */
  bytesOut = 0;
  bytesIn = 0;
  /** johnny-five's Board on the current connection. */
  board: Board | undefined;
  firmware: string | undefined;
  /** The byte counts when the last handshake finished (nothing in flight either way at that moment). */
  handshake: { bytesOut: number; bytesIn: number } | undefined;
  private io: FirmataIo | undefined;
  private transport: SerialPortLike | undefined;
  private readonly modes = new Map<number, number>();
  private readonly readers = new Map<number, Callback<number>[]>();
  private i2cOptions: unknown;
  private i2cWanted = false;
  private readonly pending = new Set<Callback<number[]>>();
  private readonly consumed = new WeakSet<number[]>();
  private retry: TimerHandle | undefined;
  private readonly wiring: FirmataWiring;
  private readonly timeoutMs: number;
  private readonly retryMs: number;
  private readonly serialPort: SerialPortCtor | undefined;

  constructor(
    readonly port: string,
    private readonly clock: Clock,
    options: FirmataLinkOptions = {},
  ) {
    super();
    this.wiring = options.wiring ?? MEGA_2560_WIRING;
    this.timeoutMs = options.timeoutMs ?? 5000;
    this.retryMs = options.retryMs ?? 2000;
    this.serialPort = options.serialPort;
  }

  /** The first connection; rejects with the port named. */
  open(): Promise<void> {
    return this.connect();
  }

  pinMode(pin: number, mode: number): this {
    const b = boardPin(this.wiring, pin);
    this.modes.set(pin, mode);
    this.io?.pinMode(b, mode);
    return this;
  }

  digitalWrite(pin: number, value: number): this {
    this.io?.digitalWrite(boardPin(this.wiring, pin), value ? 1 : 0);
    return this;
  }

  digitalRead(pin: number, callback: Callback<number>): this {
    const b = boardPin(this.wiring, pin);
    this.readers.set(pin, [...(this.readers.get(pin) ?? []), callback]);
    this.io?.digitalRead(b, callback);
    return this;
  }

  i2cConfig(options?: unknown): this {
    this.i2cWanted = true;
    this.i2cOptions = options;
    this.io?.i2cConfig(options);
    return this;
  }

  i2cWrite(address: number, bytes: number[]): this {
    this.io?.i2cWrite(address, bytes);
    return this;
  }

  /**
   * i2cReadOnce(address, [register,] length, callback). firmata.js names a reply by address and register
   * only, so two reads of the same register (every NAU7802 behind the mux) share one event: the oldest
   * request takes a reply and the others ignore it, so a late reply is never handed to a newer read.
   */
  i2cReadOnce(
    address: number,
    ...args: [number, number, Callback<number[]>] | [number, Callback<number[]>]
  ): this {
    const callback = args[args.length - 1] as Callback<number[]>;
    const io = this.io;
    if (!io) {
      queueMicrotask(() => callback([]));
      return this;
    }
    const once = (bytes: number[]) => {
      if (this.consumed.has(bytes) || !this.pending.has(once)) return;
      this.pending.delete(once);
      this.consumed.add(bytes);
      callback(bytes);
    };
    this.pending.add(once);
    io.i2cReadOnce(address, ...args.slice(0, -1), once);
    return this;
  }

  close(): void {
    this.state = 'closed';
    this.clock.clearTimer(this.retry);
    this.drop();
  }

  private connect(): Promise<void> {
    this.state = 'connecting';
    const what = `Firmata board on ${this.port}`;
    return new Promise<void>((resolve, reject) => {
      let settled = false;
      let mine: SerialPortLike | undefined;
      const fail = (why: string) => {
        // After the handshake, only the current connection's trouble counts (a closed old port says nothing).
        if (settled) return void (this.transport === mine && this.lose(why));
        settled = true;
        clearTimeout(timer);
        this.drop();
        if (this.state !== 'closed') this.state = 'lost';
        reject(new Error(`${what}: ${why}`));
      };
      const timer = setTimeout(() => fail(`not ready within ${this.timeoutMs} ms`), this.timeoutMs);
      try {
        const SerialPort = this.serialPort ?? loadSerialPort();
        const transport = new SerialPort({ path: this.port, baudRate: 57600 });
        this.transport = transport;
        mine = transport;
        const write = transport.write.bind(transport);
        transport.write = (data: Buffer, ...rest: unknown[]) => {
          this.bytesOut += data.length;
          return write(data, ...rest);
        };
        transport.on('data', (b: Buffer) => {
          this.bytesIn += b.length;
          this.emit('traffic');
        });
        // Before 'open' an error is the port not opening ("cannot open"); after it, the port went away.
        // Listened to before firmata.js re-emits it, so the port's own words name the loss.
        let opened = false;
        transport.once('open', () => {
          opened = true;
        });
        transport.on('error', (err: Error) => fail(opened ? portGone(err.message) : err.message));
        transport.on('close', (err?: Error | null) => fail(portGone(err?.message)));
        // A board that is already running answers a query at once; a reset one announces itself when it boots.
        const io = new (loadFirmata())(transport, { reportVersionTimeout: 500 });
        io.on('error', (err: Error) => fail(err.message));
        const board = new Board({
          io,
          repl: false,
          debug: false,
          sigint: false,
          timeout: this.timeoutMs,
        } as never);
        (board as unknown as EventEmitter).on('error', (err: Error) => fail(err.message));
        (board as unknown as EventEmitter).once('ready', () => {
          if (settled) return;
          settled = true;
          clearTimeout(timer);
          this.board = board;
          this.io = io;
          this.firmware = io.firmware?.name
            ? `${io.firmware.name} ${io.firmware.version?.major}.${io.firmware.version?.minor}`
            : undefined;
          this.handshake = { bytesOut: this.bytesOut, bytesIn: this.bytesIn };
          this.replay(io);
          // After the handshake the host never asks again: a version report means the sketch restarted.
          io.on('reportversion', () => this.lose('the board reset (it announced itself again)'));
          this.state = 'ready';
          this.emit('ready');
          resolve();
        });
      } catch (err) {
        fail((err as Error).message);
      }
    });
  }

  private replay(io: FirmataIo): void {
    if (this.i2cWanted) io.i2cConfig(this.i2cOptions);
    for (const [pin, mode] of this.modes) io.pinMode(boardPin(this.wiring, pin), mode);
    for (const [pin, cbs] of this.readers)
      for (const cb of cbs) io.digitalRead(boardPin(this.wiring, pin), cb);
  }

  private lose(why: string): void {
    if (this.state !== 'ready') return;
    this.state = 'lost';
    this.lostReason = why;
    this.drop();
    this.emit('lost', why);
    this.scheduleRetry();
  }

  private scheduleRetry(): void {
    if (this.state === 'closed') return;
    this.clock.clearTimer(this.retry);
    this.retry = this.clock.setTimeout(() => {
      this.connect().catch(() => this.scheduleRetry());
    }, this.retryMs);
  }

  /** Forgets the connection: pending reads answered empty, the port closed. */
  private drop(): void {
    this.io = undefined;
    this.board = undefined;
    for (const cb of [...this.pending]) cb([]);
    this.pending.clear();
    const t = this.transport;
    this.transport = undefined;
    // The last writes (outputs low on close) leave before the port closes: a board keeps what it was told.
    if (t?.isOpen) t.drain(() => t.close(() => undefined));
  }
}
