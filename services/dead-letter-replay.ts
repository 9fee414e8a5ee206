/**
 * Replays kept dead letters into InfluxDB (`cellrig bridge deadletters replay`), once the cause is fixed:
 * a conflicting field type dropped, a schema extended. A line InfluxDB refused is written as it was; a
 * payload the schema refused is decoded again with today's schemas. Each letter written is marked
 * replayed in the store; the others stay, with InfluxDB's or the schema's reason.
 */
import { lineFromSample } from '../src/telemetry/line-protocol';
import { decodeSamples } from '../src/telemetry/schemas';
import { parseTopic } from '../src/telemetry/topics';
import type { DeadLetterRecord, DeadLetterStore } from './dead-letter-store';
import type { InfluxHttp } from './influx-http';

export type ReplayResult = { written: number[]; failed: { id: number; error: string }[] };

const GROUP = 500;

/** The letter as lines of line protocol, or why it cannot be. */
export function letterLines(letter: DeadLetterRecord): { lines: string[] } | { error: string } {
  if (letter.truncated) return { error: 'only part of the payload was kept (it was over the size limit)' };
  if (letter.stage === 'influx') return { lines: [letter.payload] };
  const t = parseTopic(letter.topic);
  if (t.kind !== 'stream') return { error: `topic ${letter.topic} is not a stream topic` };
  const lines: string[] = [];
  for (const d of decodeSamples(t.stream, letter.payload)) {
    if (!d.ok) return { error: d.error };
    try {
      lines.push(lineFromSample(t.rig, t.channel, t.stream, d.sample));
    } catch (err) {
      return { error: (err as Error).message };
    }
  }
  return { lines };
}

export async function replayDeadLetters(
  store: DeadLetterStore,
  influx: InfluxHttp,
  ids?: number[],
): Promise<ReplayResult> {
  const { letters, replayed } = store.readAll();
  const wanted = ids ? new Set(ids) : undefined;
  const result: ReplayResult = { written: [], failed: [] };
  const ready: { id: number; lines: string[] }[] = [];
  for (const l of letters) {
    if (replayed.has(l.id) || (wanted && !wanted.has(l.id))) continue;
    const r = letterLines(l);
    if ('error' in r) result.failed.push({ id: l.id, error: r.error });
    else ready.push({ id: l.id, lines: r.lines });
  }
  for (let i = 0; i < ready.length; i += GROUP) {
    const group = ready.slice(i, i + GROUP);
    const res = await influx.write(group.flatMap((g) => g.lines));
    if (res.status === 204) {
      result.written.push(...group.map((g) => g.id));
      continue;
    }
    if (res.status !== 400) throw new Error(`InfluxDB ${res.status}: ${res.body.slice(0, 300)}`);
    // Some are still refused: one by one, to tell which.
    for (const g of group) {
      const one = await influx.write(g.lines);
      if (one.status === 204) result.written.push(g.id);
      else result.failed.push({ id: g.id, error: `InfluxDB ${one.status}: ${one.body}` });
    }
  }
  store.markReplayed(result.written);
  return result;
}
