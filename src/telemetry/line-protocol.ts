/**
 * InfluxDB line protocol. Field types are frozen so a series never changes type: `seq` is an integer
 * field, every other number a float (even when it happens to be whole), booleans and strings as such.
 */
import type { Sample } from './schemas';

export type Point = {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | boolean | string>;
  /** Milliseconds since the epoch (written with precision=ns, see pointTimestampNs). */
  tsMs: number;
};

const INTEGER_FIELDS = new Set(['seq']);

const escapeMeasurement = (s: string) => s.replace(/[,\s\\]/g, (c) => `\\${c}`);
const escapeKey = (s: string) => s.replace(/[,=\s\\]/g, (c) => `\\${c}`);
const escapeString = (s: string) => s.replace(/["\\]/g, (c) => `\\${c}`);

function fieldValue(key: string, v: number | boolean | string): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') return `"${escapeString(v)}"`;
  if (INTEGER_FIELDS.has(key)) return `${Math.trunc(v)}i`;
  // A whole number printed without a decimal point is still a float in line protocol.
  return String(v);
}

export function encodePoint(p: Point): string {
  const tags = Object.keys(p.tags)
    .sort()
    .filter((k) => p.tags[k] !== '')
    .map((k) => `,${escapeKey(k)}=${escapeKey(p.tags[k] as string)}`)
    .join('');
  const fields = Object.entries(p.fields)
    .map(([k, v]) => `${escapeKey(k)}=${fieldValue(k, v)}`)
    .join(',');
  return `${escapeMeasurement(p.measurement)}${tags} ${fields} ${pointTimestampNs(p)}`;
}

/**
 * The point's timestamp in ns: the sample's ms, then `seq` mod 10^6 in the sub-ms digits. Two samples of
 * one series stamped in the same millisecond would otherwise overwrite each other, and a re-delivered
 * sample now overwrites exactly itself: a point per seq, however often it arrives.
 */
export function pointTimestampNs(p: Point): string {
  const seq = p.fields.seq;
  const sub = typeof seq === 'number' ? Math.trunc(seq) % 1_000_000 : 0;
  return `${Math.trunc(p.tsMs)}${String(sub).padStart(6, '0')}`;
}

/** One measurement per stream; rig, channel, cell and coating as tags; everything else as fields. */
export function pointFromSample(rig: string, channel: string, streamName: string, sample: Sample): Point {
  const { ts, cell, coating, ...rest } = sample;
  const tags: Record<string, string> = { rig, channel };
  if (cell) tags.cell = cell;
  if (coating) tags.coating = coating;
  const fields: Record<string, number | boolean | string> = {};
  for (const [k, v] of Object.entries(rest)) if (v !== undefined) fields[k] = v as number | boolean | string;
  return { measurement: streamName, tags, fields, tsMs: ts };
}
