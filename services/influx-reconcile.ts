/**
 * After a restart the writer asks InfluxDB, not its memory, how far each series got: per series the
 * highest seq up to which every seq is present (its watermark). A series with a hole is bisected with
 * count queries (about log2(points) of them) rather than read point by point.
 */
import type { InfluxHttp } from './influx-http';

export type SeriesMark = { rig: string; channel: string; stream: string; mark: number };

/** A month of 10 Hz samples on a Pi's InfluxDB takes a while to count. */
const HISTORY_TIMEOUT_MS = 120_000;

const quote = (s: string) => s.replace(/\\/g, '\\\\').replace(/'/g, "\\'");
const ident = (s: string) => `"${s.replace(/"/g, '\\"')}"`;

export async function reconcileWatermarks(influx: InfluxHttp, rig: string): Promise<SeriesMark[]> {
  const where = rig ? `WHERE rig = '${quote(rig)}'` : '';
  const res = await influx.query(
    `SELECT count("seq"), min("seq"), max("seq") FROM /.*/ ${where} GROUP BY "rig", "channel"`,
    true,
    HISTORY_TIMEOUT_MS,
  );
  const result = res.results[0];
  if (result?.error) {
    if (/database not found/.test(result.error)) return [];
    throw new Error(`InfluxDB: ${result.error}`);
  }
  const marks: SeriesMark[] = [];
  for (const s of result?.series ?? []) {
    const [, count, min, max] = (s.values[0] ?? []).map(Number) as [number, number, number, number];
    const r = s.tags?.rig;
    const channel = s.tags?.channel;
    if (!r || !channel || !Number.isFinite(count)) continue;
    const series = { rig: r, channel, stream: s.name };
    // Series start at seq 0. One that starts later lost its beginning to a retention policy (or never
    // had it): nothing below `min` can come back, so the watermark starts just under it.
    if (min !== 0) marks.push({ ...series, mark: min - 1 });
    else if (count === max + 1) marks.push({ ...series, mark: max });
    else marks.push({ ...series, mark: await bisectHole(influx, series, max) });
  }
  return marks;
}

/** Largest m with every seq 0..m present, knowing one is missing below `max`. */
async function bisectHole(
  influx: InfluxHttp,
  s: { rig: string; channel: string; stream: string },
  max: number,
): Promise<number> {
  let lo = 0; // seq 0 is present
  let hi = max; // not everything up to max is
  while (hi - lo > 1) {
    const mid = Math.floor((lo + hi) / 2);
    const q = `SELECT count("seq") FROM ${ident(s.stream)} WHERE rig = '${quote(s.rig)}' AND channel = '${quote(s.channel)}' AND "seq" <= ${mid}`;
    const n = Number(
      (await influx.query(q, true, HISTORY_TIMEOUT_MS)).results[0]?.series?.[0]?.values[0]?.[1] ?? 0,
    );
    if (n === mid + 1) lo = mid;
    else hi = mid;
  }
  return lo;
}
