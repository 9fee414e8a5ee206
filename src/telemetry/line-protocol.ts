/**
 * InfluxDB line protocol. Field types are frozen so a series never changes type: `seq` is an integer
 * field, every other number a float (even when it happens to be whole), booleans and strings as such.
 *
 * Escaping follows InfluxDB 1.x's parser, checked against the real server by a round-trip property
 * test (test/integration/line-protocol-roundtrip.test.ts): a measurement escapes commas and spaces; tag
 * keys, tag values and field keys escape commas, equals signs and spaces. A backslash is NOT escaped
 * there: the parser keeps `\\` as two backslashes. String field values escape `"` and `\`. What line
 * protocol cannot carry is refused with a reason (unwritable), never written as something else.
 */
import type { Sample } from './schemas';

export type LinePart = 'measurement' | 'tag key' | 'tag value' | 'field key';

export type Point = {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | boolean | string>;
  /** Milliseconds since the epoch (written with precision=ns, see pointTimestampNs). */
  tsMs: number;
};

const INTEGER_FIELDS = new Set(['seq']);

const escapeMeasurement = (s: string) => s.replace(/[, ]/g, (c) => `\\${c}`);
const escapeKey = (s: string) => s.replace(/[,= ]/g, (c) => `\\${c}`);
const escapeString = (s: string) => s.replace(/["\\]/g, (c) => `\\${c}`);

/** Control characters end a line or cannot be read back (InfluxDB repeats a refused line in a header). */
function hasControl(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
const LONE_SURROGATE = /[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Why `s` cannot be written as this part of a line (InfluxDB 1.x), or undefined when it can. */
export function unwritable(part: LinePart, s: string): string | undefined {
  if (s === '') return `an empty ${part} cannot be written`;
  if (hasControl(s)) return `a ${part} cannot hold control characters (line breaks, tabs, NUL)`;
  if (LONE_SURROGATE.test(s)) return `a ${part} must be valid Unicode (it holds a lone surrogate)`;
  // `\` before the separator escapes it, and `\\` is read as two backslashes: no way to end on one.
  if (s.endsWith('\\')) return `a ${part} cannot end with a backslash in line protocol`;
  if (part === 'measurement' && s.startsWith('#'))
    return 'a measurement cannot start with # (a comment line)';
  // The parser reads `\,` `\=` `\ ` as escapes wherever they stand, so a backslash written before one
  // of those characters is lost or breaks the line (measured: tag keys and values keep it, the others not).
  if ((part === 'measurement' || part === 'field key') && /\\[,= ]/.test(s))
    return `a ${part} cannot hold a backslash before a comma, equals sign or space`;
  if ((part === 'tag key' || part === 'field key') && s === 'time')
    return `'time' is InfluxDB's timestamp and cannot be a ${part}`;
  return undefined;
}

function checked(part: LinePart, s: string): string {
  const why = unwritable(part, s);
  if (why) throw new Error(`line protocol: ${why}: ${JSON.stringify(s.slice(0, 80))}`);
  return s;
}

function fieldValue(key: string, v: number | boolean | string): string {
  if (typeof v === 'boolean') return v ? 'true' : 'false';
  if (typeof v === 'string') {
    if (LONE_SURROGATE.test(v)) throw new Error(`line protocol: string field ${key} is not valid Unicode`);
    return `"${escapeString(v)}"`;
  }
  if (INTEGER_FIELDS.has(key)) return `${Math.trunc(v)}i`;
  // A whole number printed without a decimal point is still a float in line protocol.
  return String(v);
}

/**
 * Measurement and its sorted, escaped tags: everything before the first unescaped space. An empty tag
 * value means no tag (InfluxDB drops it too). Throws for a name line protocol cannot carry.
 */
export function seriesPrefix(measurement: string, tags: Record<string, string>): string {
  const t = Object.keys(tags)
    .sort()
    .filter((k) => tags[k] !== '')
    .map((k) => `,${escapeKey(checked('tag key', k))}=${escapeKey(checked('tag value', tags[k] as string))}`)
    .join('');
  return `${escapeMeasurement(checked('measurement', measurement))}${t}`;
}

/** One point as a line; throws (naming the part) for a name line protocol cannot carry. */
export function encodePoint(p: Point): string {
  const fields = Object.entries(p.fields)
    .map(([k, v]) => `${escapeKey(checked('field key', k))}=${fieldValue(k, v)}`)
    .join(',');
  return `${seriesPrefix(p.measurement, p.tags)} ${fields} ${pointTimestampNs(p)}`;
}

/**
 * The point's timestamp in ns: the sample's ms, then `seq` mod 10^6 in the sub-ms digits. Two samples of
 * one series stamped in the same millisecond would otherwise overwrite each other, and a re-delivered
 * sample now overwrites exactly itself: a point per seq, however often it arrives.
 */
export function pointTimestampNs(p: Point): string {
  return timestampNs(p.tsMs, p.fields.seq);
}

function timestampNs(tsMs: number, seq: unknown): string {
  const sub = typeof seq === 'number' ? Math.trunc(seq) % 1_000_000 : 0;
  return `${msText(Math.trunc(tsMs))}${sixDigits(sub)}`;
}

const ZEROS = ['000000', '00000', '0000', '000', '00', '0', ''];

/** `String(n).padStart(6, '0')`, without padStart's allocations for the usual 0 <= n < 10^6. */
function sixDigits(n: number): string {
  if (n < 0 || n >= 1_000_000) return String(n).padStart(6, '0');
  const s = String(n);
  return `${ZEROS[s.length]}${s}`;
}

/**
 * `String(ms)`. Epoch milliseconds are above 2^31, so V8 prints them as doubles (slow); printed as two
 * small integers they cost a tenth.
 */
function msText(ms: number): string {
  if (ms < 1_000_000 || ms > Number.MAX_SAFE_INTEGER || !Number.isInteger(ms)) return String(ms);
  return `${Math.floor(ms / 1_000_000)}${sixDigits(ms % 1_000_000)}`;
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

/** Series prefixes and field keys already escaped: a writer sees the same few thousand again and again. */
const prefixCache = new Map<string, string>();
const fieldKeyCache = new Map<string, string>();
const CACHE_LIMIT = 10_000;
/** The last series encoded: consecutive samples (one message) are nearly always of the same series. */
let last = { streamName: '', rig: '', channel: '', cell: '', coating: '', prefix: '' };

function cachedPrefix(rig: string, channel: string, streamName: string, cell = '', coating = ''): string {
  const l = last;
  if (
    l.prefix !== '' &&
    l.rig === rig &&
    l.channel === channel &&
    l.streamName === streamName &&
    l.cell === cell &&
    l.coating === coating
  )
    return l.prefix;
  const id = `${streamName}\u0000${rig}\u0000${channel}\u0000${cell}\u0000${coating}`;
  let prefix = prefixCache.get(id);
  if (prefix === undefined) {
    const tags: Record<string, string> = { rig, channel };
    if (cell) tags.cell = cell;
    if (coating) tags.coating = coating;
    prefix = seriesPrefix(streamName, tags);
    if (prefixCache.size >= CACHE_LIMIT) prefixCache.clear();
    prefixCache.set(id, prefix);
  }
  last = { streamName, rig, channel, cell, coating, prefix };
  return prefix;
}

/**
 * encodePoint(pointFromSample(...)), without building the point: the writer's hot path. The series
 * prefix (measurement and sorted, escaped tags) and the escaped field keys are cached.
 */
export function lineFromSample(rig: string, channel: string, streamName: string, sample: Sample): string {
  const prefix = cachedPrefix(rig, channel, streamName, sample.cell, sample.coating);
  let fields = '';
  for (const key in sample) {
    if (key === 'ts' || key === 'cell' || key === 'coating') continue;
    const v = sample[key];
    if (v === undefined) continue;
    let k = fieldKeyCache.get(key);
    if (k === undefined) {
      k = escapeKey(checked('field key', key));
      if (fieldKeyCache.size >= CACHE_LIMIT) fieldKeyCache.clear();
      fieldKeyCache.set(key, k);
    }
    const value = fieldValue(key, v as number | boolean | string);
    fields = fields === '' ? `${k}=${value}` : `${fields},${k}=${value}`;
  }
  return `${prefix} ${fields} ${timestampNs(sample.ts, sample.seq)}`;
}
