/**
 * Records framed for an append-only file: a 4-byte marker, the body's length and its CRC-32 (both
 * uint32 little-endian), then the body. A reader checks every record, so a torn or overwritten one is
 * found and skipped, and it resynchronises on the next marker whose length and checksum hold: every
 * intact record after the damage is kept (a JSON-lines file loses everything after one bad line).
 */
import * as zlib from 'node:zlib';

const MARKER = Buffer.from([0xc3, 0x52, 0x4a, 0x31]); // 0xC3 'R' 'J' '1': not valid UTF-8 text, rare in JSON
export const HEADER_BYTES = 12;
/** A record longer than this is not a record: the length field itself is damaged. */
export const MAX_RECORD_BYTES = 16 * 1024 * 1024;

/** CRC-32 (IEEE, as zlib and gzip): node:zlib's on Node >= 20.15, else the same table-driven loop. */
export const crc32: (data: Uint8Array) => number =
  typeof (zlib as { crc32?: unknown }).crc32 === 'function'
    ? (data) => (zlib as unknown as { crc32(d: Uint8Array): number }).crc32(data)
    : tableCrc32;

let table: Uint32Array | undefined;
function tableCrc32(data: Uint8Array): number {
  if (!table) {
    table = new Uint32Array(256);
    for (let n = 0; n < 256; n++) {
      let c = n;
      for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
      table[n] = c >>> 0;
    }
  }
  let crc = 0xffffffff;
  for (let i = 0; i < data.length; i++)
    crc = (table[(crc ^ (data[i] as number)) & 0xff] as number) ^ (crc >>> 8);
  return (crc ^ 0xffffffff) >>> 0;
}

/** The framed form of `body`, ready to append. */
export function frame(body: Buffer): Buffer {
  const out = Buffer.allocUnsafe(HEADER_BYTES + body.length);
  MARKER.copy(out, 0);
  out.writeUInt32LE(body.length, 4);
  out.writeUInt32LE(crc32(body), 8);
  body.copy(out, HEADER_BYTES);
  return out;
}

export type Damage = { offset: number; bytes: number };
export type Unframed = {
  bodies: Buffer[];
  /** Stretches that held no valid record, in file order. */
  damaged: Damage[];
  /** Where the last valid record ends: appending must start here (anything after it is damage). */
  goodEnd: number;
};

function validAt(buf: Buffer, pos: number): number {
  if (pos + HEADER_BYTES > buf.length) return -1;
  if (buf.compare(MARKER, 0, 4, pos, pos + 4) !== 0) return -1;
  const length = buf.readUInt32LE(pos + 4);
  if (length > MAX_RECORD_BYTES || pos + HEADER_BYTES + length > buf.length) return -1;
  const body = buf.subarray(pos + HEADER_BYTES, pos + HEADER_BYTES + length);
  return crc32(body) === buf.readUInt32LE(pos + 8) ? length : -1;
}

/** Every valid record of a framed file, and where it was damaged. */
export function unframe(buf: Buffer): Unframed {
  const bodies: Buffer[] = [];
  const damaged: Damage[] = [];
  let pos = 0;
  let goodEnd = 0;
  while (pos < buf.length) {
    const length = validAt(buf, pos);
    if (length >= 0) {
      bodies.push(buf.subarray(pos + HEADER_BYTES, pos + HEADER_BYTES + length));
      pos += HEADER_BYTES + length;
      goodEnd = pos;
      continue;
    }
    // Resynchronise: the next marker that starts a valid record.
    let next = buf.indexOf(MARKER, pos + 1);
    while (next >= 0 && validAt(buf, next) < 0) next = buf.indexOf(MARKER, next + 1);
    const end = next < 0 ? buf.length : next;
    damaged.push({ offset: pos, bytes: end - pos });
    pos = end;
  }
  return { bodies, damaged, goodEnd };
}
