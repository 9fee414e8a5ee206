/**
 * Promise-based I2C on top of any johnny-five IO plugin (Firmata, Linux, the simulator). Transactions
 * run one at a time, because a multiplexer selection followed by a read must not be interleaved with
 * another channel's, and every read times out: an absent device never answers.
 */
import type { Clock } from '../src/clock';

/** The part of the johnny-five IO plugin spec that I2C drivers use. */
export type I2cIo = {
  i2cConfig(options?: unknown): unknown;
  i2cWrite(address: number, bytes: number[]): unknown;
  i2cReadOnce(
    address: number,
    register: number,
    length: number,
    callback: (bytes: number[]) => void,
  ): unknown;
  i2cReadOnce(address: number, length: number, callback: (bytes: number[]) => void): unknown;
};

export class DeviceNotAvailableError extends Error {
  constructor(what: string, why = 'no answer on the I2C bus') {
    super(`${what}: not available (${why})`);
    this.name = 'DeviceNotAvailableError';
  }
}

export class I2cBus {
  private queue: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly io: I2cIo,
    private readonly clock: Clock,
    private readonly timeoutMs = 250,
  ) {
    io.i2cConfig({ delay: 0 });
  }

  /** Runs `fn` with exclusive use of the bus. */
  transaction<T>(fn: (bus: I2cOps) => Promise<T>): Promise<T> {
    const run = this.queue.then(() => fn(this.ops));
    this.queue = run.catch(() => undefined);
    return run;
  }

  private readonly ops: I2cOps = {
    write: (address, bytes) => {
      this.io.i2cWrite(address, bytes);
    },
    read: (address, register, length, what) =>
      new Promise<number[]>((resolve, reject) => {
        const timer = this.clock.setTimeout(() => reject(new DeviceNotAvailableError(what)), this.timeoutMs);
        const done = (bytes: number[]) => {
          this.clock.clearTimer(timer);
          // Firmata answers a device that does not acknowledge with a short reply, and a byte lost on the
          // serial line leaves an odd 7-bit pair that decodes above 255: neither is a reading.
          const why = replyProblem(bytes, length);
          if (why) reject(new DeviceNotAvailableError(what, why));
          else resolve(bytes);
        };
        if (register === undefined) this.io.i2cReadOnce(address, length, done);
        else this.io.i2cReadOnce(address, register, length, done);
      }),
  };
}

function replyProblem(bytes: readonly number[], length: number): string | undefined {
  if (bytes.length !== length) return `answered ${bytes.length} of ${length} bytes`;
  if (bytes.some((b) => !Number.isInteger(b) || b < 0 || b > 0xff)) return 'malformed reply';
  return undefined;
}

export type I2cOps = {
  write(address: number, bytes: number[]): void;
  /** Reads `length` bytes; with a register, writes it first (pointer), as Wire and i2c-dev do. */
  read(address: number, register: number | undefined, length: number, what: string): Promise<number[]>;
};
