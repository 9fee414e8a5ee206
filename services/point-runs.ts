/**
 * The writer's queue unit: the points of one series from one MQTT message, as line protocol. Encoded
 * once into a buffer, outside the JavaScript heap: tens of thousands of points may wait for InfluxDB,
 * and as an object and a string per point they cost the writer more in garbage collection than building
 * the lines did (measured).
 */
import type { ContiguousWatermark } from '../src/telemetry/watermark';

export type PointRun = {
  rig: string;
  /** The series' watermark, settled once InfluxDB has the points. */
  wm: ContiguousWatermark;
  /** The lines, joined by '\n', UTF-8. */
  body: Buffer;
  /** Per point: its seq, and where its line ends in the text (a string field may hold a '\n'). */
  seqs: number[];
  ends: number[];
};

/** A run of these lines (at least one), the points with these seqs. */
export function pointRun(rig: string, wm: ContiguousWatermark, lines: string[], seqs: number[]): PointRun {
  const ends: number[] = [];
  let end = -1;
  for (const line of lines) {
    end += line.length + 1;
    ends.push(end);
  }
  return { rig, wm, body: utf8(lines.join('\n')), seqs, ends };
}

const SLAB_BYTES = 256 * 1024;
let slab = Buffer.allocUnsafe(0);
let slabUsed = 0;

/**
 * Buffer.from(text), cut from a shared slab: Buffer.from allocates a fresh 8 kB pool every two or three
 * runs, a sixth of the writer's own CPU (measured). A slab lives on while any run cut from it waits.
 */
function utf8(text: string): Buffer {
  const most = text.length * 3; // UTF-8 bytes per UTF-16 unit, at most
  if (most > SLAB_BYTES / 4) return Buffer.from(text);
  if (slabUsed + most > slab.length) {
    slab = Buffer.allocUnsafe(SLAB_BYTES);
    slabUsed = 0;
  }
  const start = slabUsed;
  slabUsed += slab.write(text, start);
  return slab.subarray(start, slabUsed);
}

/** The run's lines, joined by '\n'. */
export const runText = (run: PointRun) => run.body.toString('utf8');

export const countPoints = (runs: readonly PointRun[]) => runs.reduce((n, r) => n + r.seqs.length, 0);

/** The first `n` points of `run`, and the rest (none when n covers it). */
function splitRun(run: PointRun, n: number): [PointRun, PointRun | undefined] {
  if (n >= run.seqs.length) return [run, undefined];
  const text = runText(run);
  const cut = run.ends[n - 1] as number;
  return [
    { ...run, body: Buffer.from(text.slice(0, cut)), seqs: run.seqs.slice(0, n), ends: run.ends.slice(0, n) },
    {
      ...run,
      body: Buffer.from(text.slice(cut + 1)),
      seqs: run.seqs.slice(n),
      ends: run.ends.slice(n).map((e) => e - cut - 1),
    },
  ];
}

/** The first `n` points of `runs` (whole runs, the last one cut if need be), and the rest. */
export function takePoints(runs: readonly PointRun[], n: number): [PointRun[], PointRun[]] {
  const head: PointRun[] = [];
  let i = 0;
  for (; i < runs.length && n > 0; i++) {
    const [first, rest] = splitRun(runs[i] as PointRun, n);
    head.push(first);
    n -= first.seqs.length;
    if (rest) return [head, [rest, ...runs.slice(i + 1)]];
  }
  return [head, runs.slice(i)];
}

const NEWLINE = Buffer.from('\n');

/** A /write body: the runs' lines, one per line. */
export function batchBody(runs: readonly PointRun[]): Buffer {
  const parts: Buffer[] = [];
  let length = -1;
  for (const r of runs) {
    if (parts.length > 0) parts.push(NEWLINE);
    parts.push(r.body);
    length += r.body.length + 1;
  }
  return Buffer.concat(parts, Math.max(0, length));
}
