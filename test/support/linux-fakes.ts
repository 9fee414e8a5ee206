/**
 * Hardware simulation for the Linux backend at the byte level: a fake /dev/i2c-N that answers with the
 * simulated rig's chip models (the same register protocol SimIO and the virtual Firmata board use) and
 * fails a transfer to an address nobody acknowledges with EREMOTEIO, as the Pi's I2C driver does; and a
 * fake GPIO character device that decodes the v2 uAPI structs as the kernel does and drives the rig's pins.
 */
import type { GpioSys } from '../../devices/linux/gpio-chip';
import {
  decodeLineRequest,
  decodeLineValues,
  encodeChipInfo,
  GPIO_IOCTL,
  LAYOUT,
  LINE_FLAG,
} from '../../devices/linux/gpio-uapi';
import type { I2cDevBus } from '../../devices/linux/linux-io';
import type { SimWorld } from '../../devices/sim/sim-io';

export type I2cTransfer = { op: 'write' | 'read'; address: number; bytes: number[] };

function errno(code: string, n: number, message: string): Error {
  return Object.assign(new Error(`${code}: ${message}`), { code, errno: n });
}

export class FakeI2cDev implements I2cDevBus {
  readonly log: I2cTransfer[] = [];
  closed = false;

  constructor(private readonly world: SimWorld) {}

  async i2cWrite(address: number, length: number, buffer: Buffer) {
    const bytes = [...buffer.subarray(0, length)];
    this.log.push({ op: 'write', address, bytes });
    const dev = this.world.i2cDevice(address);
    if (!dev) throw errno('EREMOTEIO', 121, 'Remote I/O error');
    dev.write(bytes);
    return { bytesWritten: length, buffer };
  }

  async i2cRead(address: number, length: number, buffer: Buffer) {
    const dev = this.world.i2cDevice(address);
    if (!dev) {
      this.log.push({ op: 'read', address, bytes: [] });
      throw errno('EREMOTEIO', 121, 'Remote I/O error');
    }
    const bytes = dev.read(undefined, length).map((b) => b & 0xff);
    Buffer.from(bytes).copy(buffer);
    this.log.push({ op: 'read', address, bytes });
    return { bytesRead: bytes.length, buffer };
  }

  async close() {
    this.closed = true;
  }
}

type Line = { offset: number; output: boolean; value: 0 | 1; flags: bigint; consumer: string };

export class FakeGpioKernel implements GpioSys {
  readonly requests: ReturnType<typeof decodeLineRequest>[] = [];
  private nextFd = 100;
  private readonly chips = new Map<number, string>();
  private readonly lines = new Map<number, Line>();
  /** The chip each line request went to. */
  readonly requestedOn: string[] = [];
  readonly chipPaths: string[];

  /** `labels`: each chip's path and label (a Pi 4's SoC GPIO is pinctrl-bcm2711, a Pi 5's pinctrl-rp1). */
  constructor(
    private readonly world: SimWorld,
    private readonly labels: Record<string, string> = { '/dev/gpiochip0': 'pinctrl-bcm2711' },
    private readonly lineCount = 58,
  ) {
    this.chipPaths = Object.keys(labels);
  }

  /** Offsets a consumer holds now. */
  held(): number[] {
    return [...this.lines.values()].map((l) => l.offset).sort((a, b) => a - b);
  }

  open(path: string): number {
    if (!this.chipPaths.includes(path)) throw errno('ENOENT', 2, `no such file: ${path}`);
    const fd = this.nextFd++;
    this.chips.set(fd, path);
    return fd;
  }

  close(fd: number): void {
    if (!this.chips.delete(fd) && !this.lines.delete(fd)) throw errno('EBADF', 9, `bad fd ${fd}`);
  }

  ioctl(fd: number, request: number, buf: Buffer): void {
    const chip = this.chips.get(fd);
    if (chip) {
      this.chipIoctl(chip, request, buf);
      return;
    }
    const line = this.lines.get(fd);
    if (!line) throw errno('EBADF', 9, `bad fd ${fd}`);
    if (buf.length !== LAYOUT.lineValues.size) throw errno('EFAULT', 14, 'wrong struct size');
    const { bits, mask } = decodeLineValues(buf);
    if (mask !== 1n) throw errno('EINVAL', 22, 'one line per request here');
    if (request === GPIO_IOCTL.V2_LINE_SET_VALUES) {
      if (!line.output) throw errno('EPERM', 1, 'line is an input');
      line.value = (bits & 1n) === 1n ? 1 : 0;
      this.world.digitalWrite(line.offset, line.value);
    } else if (request === GPIO_IOCTL.V2_LINE_GET_VALUES) {
      const v = line.output ? line.value : this.world.digitalRead(line.offset);
      buf.writeBigUInt64LE(BigInt(v), LAYOUT.lineValues.bits);
    } else throw errno('ENOTTY', 25, `ioctl 0x${request.toString(16)} on a line`);
  }

  private chipIoctl(path: string, request: number, buf: Buffer): void {
    if (request === GPIO_IOCTL.GET_CHIPINFO) {
      if (buf.length !== LAYOUT.chipInfo.size) throw errno('EFAULT', 14, 'wrong struct size');
      const name = path.replace('/dev/', '');
      encodeChipInfo({ name, label: this.labels[path] ?? '', lines: this.lineCount }).copy(buf);
      return;
    }
    if (request !== GPIO_IOCTL.V2_GET_LINE) throw errno('ENOTTY', 25, `ioctl 0x${request.toString(16)}`);
    if (buf.length !== LAYOUT.lineRequest.size) throw errno('EFAULT', 14, 'wrong struct size');
    const req = decodeLineRequest(buf);
    this.requests.push(req);
    this.requestedOn.push(path);
    const dir = req.flags & (LINE_FLAG.INPUT | LINE_FLAG.OUTPUT);
    if (req.offsets.length !== 1 || (dir !== LINE_FLAG.INPUT && dir !== LINE_FLAG.OUTPUT))
      throw errno('EINVAL', 22, 'one line, input or output');
    const offset = req.offsets[0]!;
    if (offset >= this.lineCount) throw errno('EINVAL', 22, `offset ${offset} beyond the chip`);
    if (this.held().includes(offset)) throw errno('EBUSY', 16, `line ${offset} busy`);
    const output = dir === LINE_FLAG.OUTPUT;
    const value: 0 | 1 = output && (req.outputValues ?? 0n) & 1n ? 1 : 0;
    const fd = this.nextFd++;
    this.lines.set(fd, { offset, output, value, flags: req.flags, consumer: req.consumer });
    if (output) this.world.digitalWrite(offset, value);
    buf.writeInt32LE(fd, LAYOUT.lineRequest.fd);
  }
}
