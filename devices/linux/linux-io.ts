/**
 * A johnny-five IO plugin for a Pi with its sensors on its own I2C bus (the kernel's i2c-dev, through the
 * i2c-bus package) and its outputs on GPIO lines (the character device, gpio-chip.ts). The same calls as
 * SimIO and Firmata, with the same I2C semantics: a register read is the register written as a pointer,
 * then the bytes read (a stop between, as Wire does); a device that does not acknowledge (EREMOTEIO or
 * ENXIO from the kernel) answers short, which the bus reports as "not available" at once.
 */
import { EventEmitter } from 'node:events';
import { accessSync, constants } from 'node:fs';
import type { Clock, TimerHandle } from '../../src/clock';
import type { GpioChip, LineHandle } from './gpio-chip';

/** The part of i2c-bus's promisified bus used here (a fake /dev/i2c-N speaks the same in the tests). */
export type I2cDevBus = {
  i2cWrite(address: number, length: number, buffer: Buffer): Promise<{ bytesWritten: number }>;
  i2cRead(address: number, length: number, buffer: Buffer): Promise<{ bytesRead: number }>;
  close(): Promise<void>;
};

/** /dev/i2c-N through i2c-bus (an optional dependency: it compiles with node-gyp on install). */
export async function openI2cDev(busNumber: number): Promise<I2cDevBus> {
  let i2c: { openPromisified(n: number): Promise<I2cDevBus> };
  try {
    i2c = require('i2c-bus');
  } catch (err) {
    throw new Error(
      `not available: install i2c-bus (sudo apt install build-essential; npm install i2c-bus): ${(err as Error).message.split('\n')[0]}`,
    );
  }
  // i2c-bus opens the device file only at the first transfer: check it now, so the rig says what is wrong.
  const path = `/dev/i2c-${busNumber}`;
  try {
    accessSync(path, constants.R_OK | constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    throw new Error(
      code === 'EACCES'
        ? `not available: ${path}: permission denied (add the user to the i2c group)`
        : `not available: ${path} not found (on a Pi: sudo raspi-config nonint do_i2c 0, then reboot)`,
    );
  }
  return i2c.openPromisified(busNumber);
}

const MODES = { INPUT: 0, OUTPUT: 1, ANALOG: 2, PWM: 3, SERVO: 4, I2C: 6, PULLUP: 11 } as const;
/** The Pi's 40-pin header carries GPIO 0-27. */
const PIN_COUNT = 28;

type Callback<T> = (value: T) => void;

export class LinuxIO extends EventEmitter {
  readonly name = 'cellrig-linux';
  readonly MODES = MODES;
  readonly RESOLUTION = { ADC: null, DAC: null, PWM: 255 };
  readonly pins = Array.from({ length: PIN_COUNT }, () => ({
    supportedModes: [MODES.INPUT, MODES.OUTPUT, MODES.PULLUP, MODES.I2C],
    mode: MODES.INPUT as number,
    value: 0,
    report: 1,
    analogChannel: 127,
  }));
  readonly analogPins: number[] = [];
  readonly defaultLed = 0;
  isReady = false;
  private readonly lines = new Map<number, LineHandle>();
  private readonly readers = new Map<number, Callback<number>[]>();
  private readonly lastRead = new Map<number, number>();
  private poller: TimerHandle | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private closed = false;

  constructor(
    private readonly bus: I2cDevBus,
    private readonly chip: GpioChip,
    private readonly clock: Clock,
    private readonly pollMs = 50,
  ) {
    super();
    setImmediate(() => {
      this.isReady = true;
      this.emit('connect');
      this.emit('ready');
    });
  }

  pinMode(pin: number, mode: number): this {
    this.lines.get(pin)?.release();
    this.lines.delete(pin);
    const p = this.pins[pin];
    if (p) p.mode = mode;
    if (mode === MODES.OUTPUT) this.lines.set(pin, this.chip.output(pin, 0));
    else if (mode === MODES.INPUT || mode === MODES.PULLUP)
      this.lines.set(pin, this.chip.input(pin, mode === MODES.PULLUP ? 'pull-up' : 'none'));
    return this;
  }

  digitalWrite(pin: number, value: number): this {
    const line = this.lines.get(pin);
    if (!line || this.pins[pin]?.mode !== MODES.OUTPUT) return this;
    line.set(value ? 1 : 0);
    this.pins[pin]!.value = value ? 1 : 0;
    return this;
  }

  /** Inputs are polled every `pollMs` on the rig clock; the callback gets the first value and each change. */
  digitalRead(pin: number, callback: Callback<number>): this {
    this.readers.set(pin, [...(this.readers.get(pin) ?? []), callback]);
    this.lastRead.delete(pin);
    queueMicrotask(() => this.poll());
    this.poller ??= this.clock.setInterval(() => this.poll(), this.pollMs);
    return this;
  }

  i2cConfig(_options?: unknown): this {
    return this;
  }

  /** i2cWrite(address, bytes) or i2cWrite(address, register, bytes | byte). */
  i2cWrite(address: number, registerOrBytes: number | number[], bytes?: number | number[]): this {
    const data =
      bytes === undefined
        ? ([] as number[]).concat(registerOrBytes)
        : [registerOrBytes as number, ...([] as number[]).concat(bytes)];
    const buf = Buffer.from(data);
    // A write to a device that is not there fails quietly here; the read that follows reports it.
    void this.enqueue(() => this.bus.i2cWrite(address, buf.length, buf)).catch(() => undefined);
    return this;
  }

  i2cReadOnce(
    address: number,
    ...args: [number, number, Callback<number[]>] | [number, Callback<number[]>]
  ): this {
    const [register, length, callback] = args.length === 3 ? args : [undefined, args[0], args[1]];
    this.enqueue(async () => {
      if (register !== undefined) await this.bus.i2cWrite(address, 1, Buffer.from([register]));
      const buf = Buffer.alloc(length);
      const { bytesRead } = await this.bus.i2cRead(address, length, buf);
      return [...buf.subarray(0, bytesRead)];
    }).then(
      (bytes) => callback(bytes),
      () => callback([]),
    );
    return this;
  }

  /** Every output low, then every line released; the bus closed. */
  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.clock.clearTimer(this.poller);
    for (const [pin, line] of this.lines) {
      try {
        if (this.pins[pin]?.mode === MODES.OUTPUT) line.set(0);
      } finally {
        line.release();
      }
    }
    this.lines.clear();
    void this.queue.then(() => this.bus.close()).catch(() => undefined);
    this.chip.close();
    this.emit('close');
  }

  /** I2C transactions one at a time, in the order they were asked for. */
  private enqueue<T>(fn: () => Promise<T>): Promise<T> {
    const run = this.queue.then(() => {
      if (this.closed) throw new Error('closed');
      return fn();
    });
    this.queue = run.catch(() => undefined);
    return run;
  }

  private poll(): void {
    if (this.closed) return;
    for (const [pin, cbs] of this.readers) {
      const line = this.lines.get(pin);
      if (!line) continue;
      const v = line.get();
      if (this.lastRead.get(pin) === v) continue;
      this.lastRead.set(pin, v);
      for (const cb of cbs) cb(v);
      this.emit(`digital-read-${pin}`, v);
    }
  }
}
