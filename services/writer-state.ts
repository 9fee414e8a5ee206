/**
 * The writer's watermarks on disk (`watermarks.json` in its data folder), saved before each ack it
 * publishes: a restart restores the same marks, including the seqs that were dead-lettered or passed
 * as lost, which InfluxDB alone cannot show (they are holes there). Written to a temporary file,
 * fsynced, then renamed, so a power cut leaves the old state or the new one.
 */
import { closeSync, fsyncSync, mkdirSync, openSync, readFileSync, renameSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import type { WatermarkState } from '../src/telemetry/watermark';

const range = z.tuple([z.number().int(), z.number().int()]);
const watermarkSchema = z.object({
  mark: z.number().int().min(-1),
  above: z.array(range).max(1000),
  gaps: z.array(range).max(1000),
});
const stateSchema = z.object({
  version: z.literal(1),
  rigs: z.record(z.string(), z.record(z.string(), watermarkSchema)),
});
export type WriterMarks = Record<string, Record<string, WatermarkState>>;

const FILE = 'watermarks.json';

/** The saved marks, or empty when there are none; a damaged file is reported, never trusted. */
export function loadWriterMarks(dir: string): { marks: WriterMarks; problem?: string } {
  let text: string;
  try {
    text = readFileSync(join(dir, FILE), 'utf8');
  } catch {
    return { marks: {} };
  }
  try {
    return { marks: stateSchema.parse(JSON.parse(text)).rigs };
  } catch (err) {
    return { marks: {}, problem: `${join(dir, FILE)} is damaged (${(err as Error).message.slice(0, 200)})` };
  }
}

export function saveWriterMarks(dir: string, marks: WriterMarks): void {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, FILE);
  const fd = openSync(`${file}.tmp`, 'w');
  try {
    const text = Buffer.from(JSON.stringify({ version: 1, rigs: marks }));
    if (writeSync(fd, text) !== text.length) throw new Error(`short write of ${file}`);
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
  renameSync(`${file}.tmp`, file);
}
