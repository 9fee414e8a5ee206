/**
 * A disk that fills up, for the journal's fault tests: the real node:fs calls, except that once
 * `room` bytes are used a write puts down only what still fits (a short write, really on disk) and the
 * next ones fail with ENOSPC, until free() makes room again. The fault sits at the syscall boundary,
 * where a full SD card shows it; nothing above it is replaced.
 */
import * as fs from 'node:fs';
import type { JournalFs } from '../../services/telemetry-journal';

export class FaultyDisk implements JournalFs {
  constructor(public room = Number.POSITIVE_INFINITY) {}
  shortWrites = 0;
  refusals = 0;

  free(bytes = Number.POSITIVE_INFINITY): void {
    this.room = bytes;
  }

  openSync = fs.openSync;
  fsyncSync = fs.fsyncSync;
  fsync = fs.fsync;
  ftruncateSync = fs.ftruncateSync;
  fstatSync = fs.fstatSync;
  closeSync = fs.closeSync;

  writeSync = ((fd: number, buffer: NodeJS.ArrayBufferView | string, ...rest: unknown[]): number => {
    const buf =
      typeof buffer === 'string'
        ? Buffer.from(buffer)
        : Buffer.from(buffer.buffer, buffer.byteOffset, buffer.byteLength);
    const offset = typeof rest[0] === 'number' ? rest[0] : 0;
    const length = typeof rest[1] === 'number' ? rest[1] : buf.length - offset;
    const position = typeof rest[2] === 'number' ? rest[2] : null;
    if (this.room <= 0) {
      this.refusals++;
      throw Object.assign(new Error('ENOSPC: no space left on device, write'), { code: 'ENOSPC' });
    }
    const n = Math.min(length, this.room);
    if (n < length) this.shortWrites++;
    this.room -= n;
    return fs.writeSync(fd, buf, offset, n, position);
  }) as JournalFs['writeSync'];
}
