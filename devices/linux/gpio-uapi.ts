/**
 * The Linux GPIO character device's v2 uAPI (linux/gpio.h, kernel 5.10 and later) as bytes: the ioctl
 * numbers and the layouts of the structs this backend passes, encoded and decoded with a DataView. The
 * numbers and offsets are those the kernel header gives on 64-bit Linux (x86-64 and arm64 lay these
 * structs out the same); test/devices/linux-backend.test.ts compiles a C program against the machine's
 * header and compares. The sysfs interface (/sys/class/gpio) is gone from current kernels and unused here.
 */
export const GPIO_IOCTL = {
  GET_CHIPINFO: 0x8044b401,
  V2_GET_LINE: 0xc250b407,
  V2_LINE_GET_VALUES: 0xc010b40e,
  V2_LINE_SET_VALUES: 0xc010b40f,
} as const;

export const LINE_FLAG = {
  INPUT: 1n << 2n,
  OUTPUT: 1n << 3n,
  BIAS_PULL_UP: 1n << 8n,
  BIAS_PULL_DOWN: 1n << 9n,
  BIAS_DISABLED: 1n << 10n,
} as const;

/** gpio_v2_line_config_attribute's id for "initial output values". */
export const ATTR_OUTPUT_VALUES = 2;

export const LAYOUT = {
  chipInfo: { size: 68, name: 0, label: 32, lines: 64 },
  lineRequest: {
    size: 592,
    offsets: 0,
    consumer: 256,
    configFlags: 288,
    configNumAttrs: 296,
    configAttrs: 320,
    attrSize: 24,
    numLines: 560,
    eventBufferSize: 564,
    fd: 588,
  },
  lineValues: { size: 16, bits: 0, mask: 8 },
  nameSize: 32,
  linesMax: 64,
} as const;

export type LineRequest = {
  offsets: number[];
  consumer: string;
  flags: bigint;
  /** Initial output values (bit i = offsets[i]), for an output request. */
  outputValues?: bigint;
};

const L = LAYOUT.lineRequest;

export function encodeLineRequest(r: LineRequest): Buffer {
  if (r.offsets.length < 1 || r.offsets.length > LAYOUT.linesMax)
    throw new Error('1 to 64 lines per request');
  const buf = Buffer.alloc(L.size);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  for (const [i, o] of r.offsets.entries()) v.setUint32(L.offsets + 4 * i, o, true);
  buf.write(r.consumer.slice(0, LAYOUT.nameSize - 1), L.consumer, 'ascii');
  v.setBigUint64(L.configFlags, r.flags, true);
  if (r.outputValues !== undefined) {
    v.setUint32(L.configNumAttrs, 1, true);
    v.setUint32(L.configAttrs, ATTR_OUTPUT_VALUES, true);
    v.setBigUint64(L.configAttrs + 8, r.outputValues, true);
    v.setBigUint64(L.configAttrs + 16, (1n << BigInt(r.offsets.length)) - 1n, true);
  }
  v.setUint32(L.numLines, r.offsets.length, true);
  return buf;
}

/** What the kernel reads from a line request (the fake chip in the tests decodes with it). */
export function decodeLineRequest(buf: Buffer): LineRequest & { fd: number } {
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const n = v.getUint32(L.numLines, true);
  const offsets = Array.from({ length: n }, (_, i) => v.getUint32(L.offsets + 4 * i, true));
  const consumer = cString(buf, L.consumer, LAYOUT.nameSize);
  const flags = v.getBigUint64(L.configFlags, true);
  let outputValues: bigint | undefined;
  const attrs = v.getUint32(L.configNumAttrs, true);
  for (let i = 0; i < attrs; i++) {
    const at = L.configAttrs + i * L.attrSize;
    if (v.getUint32(at, true) === ATTR_OUTPUT_VALUES) {
      const mask = v.getBigUint64(at + 16, true);
      outputValues = v.getBigUint64(at + 8, true) & mask;
    }
  }
  return { offsets, consumer, flags, outputValues, fd: v.getInt32(L.fd, true) };
}

export function lineRequestFd(buf: Buffer): number {
  return buf.readInt32LE(L.fd);
}

export function encodeLineValues(bits: bigint, mask: bigint): Buffer {
  const buf = Buffer.alloc(LAYOUT.lineValues.size);
  buf.writeBigUInt64LE(bits, LAYOUT.lineValues.bits);
  buf.writeBigUInt64LE(mask, LAYOUT.lineValues.mask);
  return buf;
}

export function decodeLineValues(buf: Buffer): { bits: bigint; mask: bigint } {
  return {
    bits: buf.readBigUInt64LE(LAYOUT.lineValues.bits),
    mask: buf.readBigUInt64LE(LAYOUT.lineValues.mask),
  };
}

export function decodeChipInfo(buf: Buffer): { name: string; label: string; lines: number } {
  const c = LAYOUT.chipInfo;
  return {
    name: cString(buf, c.name, LAYOUT.nameSize),
    label: cString(buf, c.label, LAYOUT.nameSize),
    lines: buf.readUInt32LE(c.lines),
  };
}

export function encodeChipInfo(info: { name: string; label: string; lines: number }): Buffer {
  const c = LAYOUT.chipInfo;
  const buf = Buffer.alloc(c.size);
  buf.write(info.name.slice(0, LAYOUT.nameSize - 1), c.name, 'ascii');
  buf.write(info.label.slice(0, LAYOUT.nameSize - 1), c.label, 'ascii');
  buf.writeUInt32LE(info.lines, c.lines);
  return buf;
}

function cString(buf: Buffer, at: number, size: number): string {
  const s = buf.subarray(at, at + size);
  const end = s.indexOf(0);
  return s.subarray(0, end < 0 ? size : end).toString('ascii');
}
