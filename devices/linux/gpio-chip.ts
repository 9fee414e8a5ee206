/**
 * GPIO lines through the kernel's character device (/dev/gpiochipN), one line request per rig pin. The
 * system calls come in as a small `GpioSys` (open, close, ioctl), so the logic runs against the real
 * kernel through koffi (libc's ioctl) on a Pi, and against a fake chip that decodes the same bytes in the
 * tests. Chosen over libgpiod bindings (node-libgpiod builds against libgpiod 1.x, while current Debian
 * and Raspberry Pi OS move to the incompatible 2.x API): the v2 uAPI is a stable kernel ABI, and koffi ships
 * prebuilt binaries for linux-arm64, so nothing is compiled on the Pi.
 */
import { readdirSync } from 'node:fs';
import {
  decodeChipInfo,
  decodeLineValues,
  encodeLineRequest,
  encodeLineValues,
  GPIO_IOCTL,
  LAYOUT,
  LINE_FLAG,
  lineRequestFd,
} from './gpio-uapi';

export type GpioSys = {
  open(path: string): number;
  close(fd: number): void;
  /** Throws an Error with the errno's name in `code` when the call fails. */
  ioctl(fd: number, request: number, buf: Buffer): void;
};

export type LineHandle = {
  readonly offset: number;
  get(): 0 | 1;
  set(value: 0 | 1): void;
  release(): void;
};

const CONSUMER = 'cellrig';

export class GpioChip {
  private readonly fd: number;

  constructor(
    private readonly sys: GpioSys,
    readonly path: string,
  ) {
    this.fd = sys.open(path);
  }

  info(): { name: string; label: string; lines: number } {
    const buf = Buffer.alloc(LAYOUT.chipInfo.size);
    this.sys.ioctl(this.fd, GPIO_IOCTL.GET_CHIPINFO, buf);
    return decodeChipInfo(buf);
  }

  /** An output line, driven to `value` as the request takes it (no glitch to the other level). */
  output(offset: number, value: 0 | 1): LineHandle {
    return this.request(offset, LINE_FLAG.OUTPUT, BigInt(value));
  }

  input(offset: number, bias: 'none' | 'pull-up' = 'none'): LineHandle {
    return this.request(offset, LINE_FLAG.INPUT | (bias === 'pull-up' ? LINE_FLAG.BIAS_PULL_UP : 0n));
  }

  close(): void {
    this.sys.close(this.fd);
  }

  private request(offset: number, flags: bigint, outputValues?: bigint): LineHandle {
    const req = encodeLineRequest({ offsets: [offset], consumer: CONSUMER, flags, outputValues });
    this.sys.ioctl(this.fd, GPIO_IOCTL.V2_GET_LINE, req);
    const lineFd = lineRequestFd(req);
    const sys = this.sys;
    let released = false;
    return {
      offset,
      get() {
        const buf = encodeLineValues(0n, 1n);
        sys.ioctl(lineFd, GPIO_IOCTL.V2_LINE_GET_VALUES, buf);
        return (decodeLineValues(buf).bits & 1n) === 1n ? 1 : 0;
      },
      set(value) {
        sys.ioctl(lineFd, GPIO_IOCTL.V2_LINE_SET_VALUES, encodeLineValues(value ? 1n : 0n, 1n));
      },
      release() {
        if (released) return;
        released = true;
        sys.close(lineFd);
      },
    };
  }
}

/** The SoC's own GPIO controller on a Pi 3/4 (bcm2835/bcm2711) or a Pi 5 (rp1). */
const PI_LABELS = /^pinctrl-(bcm2711|bcm2835|rp1)$/;

/**
 * The chip whose lines are the 40-pin header's GPIO numbers: `explicit` when given (a name like
 * `gpiochip4` or a path), else the one labelled pinctrl-bcm2711/bcm2835/rp1 (a Pi 5 on older kernels
 * numbers it gpiochip4, on newer ones gpiochip0), else gpiochip0.
 */
export function findRigChip(sys: GpioSys, explicit?: string, list = listChips): string {
  if (explicit) return explicit.startsWith('/') ? explicit : `/dev/${explicit}`;
  const chips = list();
  if (chips.length === 0)
    throw new Error('not available: no /dev/gpiochip* (is this a Linux board with GPIO?)');
  for (const path of chips) {
    try {
      const chip = new GpioChip(sys, path);
      const { label } = chip.info();
      chip.close();
      if (PI_LABELS.test(label)) return path;
    } catch {
      // a chip we may not open is not ours
    }
  }
  return chips.includes('/dev/gpiochip0') ? '/dev/gpiochip0' : chips[0]!;
}

function listChips(): string[] {
  try {
    return readdirSync('/dev')
      .filter((n) => /^gpiochip\d+$/.test(n))
      .sort((a, b) => Number(a.slice(8)) - Number(b.slice(8)))
      .map((n) => `/dev/${n}`);
  } catch {
    return [];
  }
}

type KoffiFn = (...args: unknown[]) => number;
type Koffi = {
  load(lib: string): { func(decl: string): KoffiFn };
  errno(): number;
  os?: { errno: Record<string, number> };
};

/** The real system calls: fs for open/close, libc's ioctl through koffi. */
export function realGpioSys(): GpioSys {
  let koffi: Koffi;
  try {
    koffi = require('koffi') as Koffi;
  } catch (err) {
    throw new Error(
      `not available: install koffi (npm install koffi; ${(err as Error).message.split('\n')[0]})`,
    );
  }
  const libc = koffi.load('libc.so.6');
  const ioctl = libc.func('int ioctl(int fd, unsigned long request, ...)');
  const fs = require('node:fs') as typeof import('node:fs');
  return {
    open: (path) => fs.openSync(path, 'r+'),
    close: (fd) => fs.closeSync(fd),
    ioctl: (fd, request, buf) => {
      if (ioctl(fd, request, 'void *', buf) < 0) {
        const errno = koffi.errno();
        const err = new Error(
          `ioctl 0x${request.toString(16)} on fd ${fd} failed: errno ${errno}`,
        ) as Error & {
          code?: string;
          errno?: number;
        };
        err.errno = errno;
        throw err;
      }
    },
  };
}
