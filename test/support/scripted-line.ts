/**
 * A serial line inside the test's process whose unplug the test orders: serialport's own stream
 * (SerialPortStream, as SerialPortMock runs it) over a binding that carries bytes to and from a virtual
 * Firmata board. On a real tty an unplug reaches serialport as a failed read or a failed write, whichever
 * the OS and the moment bring first (test/support/firmata-board.ts runs that race on a pty); here the test
 * says which, so each order is tested every time.
 */
import { SerialPortMock } from 'serialport';
import type { FirmataLinkOptions } from '../../devices/firmata-link';
import { VirtualFirmataBoard } from '../../devices/sim/firmata/virtual-board';
import type { SimWorld } from '../../devices/sim/sim-io';
import type { Clock } from '../../src/clock';

export type NoticedBy = 'read' | 'write';

/** An error as node's fs gives it for a hung-up tty: `EIO: i/o error, write`. */
function ioError(syscall: 'read' | 'write'): Error {
  return Object.assign(new Error(`EIO: i/o error, ${syscall}`), { code: 'EIO', errno: -5, syscall });
}

const nextTurn = () => new Promise<void>((resolve) => setImmediate(resolve));

type OpenOptions = { path: string; baudRate: number };
type PendingRead = {
  buffer: Buffer;
  offset: number;
  length: number;
  resolve: (r: { buffer: Buffer; bytesRead: number }) => void;
  reject: (err: Error) => void;
};

/** One open of the port: serialport's binding interface (read, write, close and the settings calls). */
class ScriptedPort {
  isOpen = true;
  private inbox = Buffer.alloc(0);
  private reader: PendingRead | undefined;
  private gone: NoticedBy | undefined;

  constructor(
    readonly openOptions: OpenOptions,
    private readonly toBoard: (bytes: Buffer) => void,
  ) {}

  /** Bytes from the board. */
  toHost(bytes: Buffer): void {
    if (!this.isOpen || this.gone) return;
    this.inbox = Buffer.concat([this.inbox, bytes]);
    this.serve();
  }

  /** The tty hung up: the pending read fails now, or the read stays asleep and the next write fails. */
  vanish(noticedBy: NoticedBy): void {
    this.gone = noticedBy;
    if (noticedBy === 'read') this.takeReader()?.reject(ioError('read'));
  }

  read(buffer: Buffer, offset: number, length: number): Promise<{ buffer: Buffer; bytesRead: number }> {
    if (!this.isOpen) return Promise.reject(canceled());
    if (this.gone === 'read') return Promise.reject(ioError('read'));
    return new Promise((resolve, reject) => {
      this.reader = { buffer, offset, length, resolve, reject };
      this.serve();
    });
  }

  async write(buffer: Buffer): Promise<void> {
    await nextTurn();
    // A hung-up tty fails every write, one already on its way included.
    if (this.gone) throw ioError('write');
    if (!this.isOpen) throw new Error('Port is not open');
    this.toBoard(Buffer.from(buffer));
  }

  /** As the native binding's: the file closes on the thread pool, so the promise settles a turn later. */
  async close(): Promise<void> {
    this.isOpen = false;
    this.takeReader()?.reject(canceled());
    await nextTurn();
  }

  async update(): Promise<void> {}
  async set(): Promise<void> {}
  async get() {
    return { cts: false, dsr: false, dcd: false };
  }
  async getBaudRate() {
    return { baudRate: this.openOptions.baudRate };
  }
  async flush(): Promise<void> {}
  async drain(): Promise<void> {}

  private serve(): void {
    const r = this.reader;
    if (!r || this.inbox.length === 0) return;
    this.reader = undefined;
    const n = this.inbox.copy(r.buffer, r.offset, 0, Math.min(r.length, this.inbox.length));
    this.inbox = this.inbox.subarray(n);
    r.resolve({ buffer: r.buffer, bytesRead: n });
  }

  private takeReader(): PendingRead | undefined {
    const r = this.reader;
    this.reader = undefined;
    return r;
  }
}

/** serialport's marker for a read ended by closing the port (not a disconnect). */
function canceled(): Error {
  return Object.assign(new Error('Canceled'), { canceled: true });
}

/** A board on a USB cable the test plugs and unplugs; the host opens it with `serialPort`. */
export class ScriptedLine {
  readonly board: VirtualFirmataBoard;
  private port: ScriptedPort | undefined;
  private plugged = true;
  /** How many times the host has opened the port. */
  opens = 0;

  constructor(world: SimWorld, clock: Clock) {
    this.board = new VirtualFirmataBoard(world, clock, (bytes) => this.port?.toHost(bytes));
  }

  /** For FirmataLinkOptions.serialPort. */
  get serialPort(): NonNullable<FirmataLinkOptions['serialPort']> {
    const binding = {
      list: async () => [],
      open: async (options: OpenOptions) => {
        await nextTurn();
        if (!this.plugged) throw new Error(`Error: No such file or directory, cannot open ${options.path}`);
        this.opens++;
        const port = new ScriptedPort(options, (bytes) => this.board.receive(bytes));
        this.port = port;
        // Opening the port resets a Mega (DTR): the sketch starts and announces itself.
        setImmediate(() => this.port === port && this.board.powerOn());
        return port;
      },
    };
    return class extends SerialPortMock {
      constructor(options: OpenOptions) {
        super({ ...options, binding } as never);
      }
    } as unknown as NonNullable<FirmataLinkOptions['serialPort']>;
  }

  /** The cable pulled: the board loses power and the host's tty hangs up, noticed first as `noticedBy` says. */
  unplug(noticedBy: NoticedBy): void {
    this.plugged = false;
    this.board.powerOff();
    this.port?.vanish(noticedBy);
    this.port = undefined;
  }

  plugIn(): void {
    this.plugged = true;
  }
}
