/**
 * Telemetry payloads. Every sample carries the rig's timestamp `ts` (ms since epoch) and a per-stream
 * sequence number `seq`, so a gap is visible and a retry is idempotent. Each stream's fields and their
 * types are declared here, in STREAMS, and nowhere else: the publisher and the writer both validate
 * against these schemas, so InfluxDB only ever sees a field under its declared type (a series' type is
 * never set by whichever sample came first). An undeclared field is refused, except in streams that
 * declare a type for their other fields (`other`), where it is stored under that type. A stream not
 * declared at all may carry numbers only, each stored as a float.
 */
import { z } from 'zod';
import { idSchema } from '../rig/config';
import { unwritable } from './line-protocol';

export const MAX_PAYLOAD_BYTES = 64 * 1024;
const MAX_FIELDS = 64;

export type FieldKind = 'number' | 'boolean' | 'string';
type StreamDeclaration = {
  fields: Readonly<Record<string, FieldKind>>;
  /** Fields a sample of the stream must have. */
  required?: readonly string[];
  /** The type any other field is stored as (a string field holds numbers as text); absent: refused. */
  other?: FieldKind;
};

/**
 * Every stream the nodes publish. Add a stream or a field here (the dashboards read the same names:
 * dashboards/streams.ts). Numbers are stored as floats, `seq` as an integer.
 */
export const STREAMS = {
  /** Stack pressure per cell channel (stack-pressure node; `cellrig edge`). */
  pressure: {
    fields: {
      pressureMPa: 'number',
      forceN: 'number',
      counts: 'number',
      setpointMPa: 'number',
      toleranceMPa: 'number',
      outputMmPerS: 'number',
      phase: 'string',
      inBand: 'boolean',
      excursion: 'boolean',
      alarms: 'string',
      /** The safety layer's reading, by the calibration installed at deploy. */
      installedPressureMPa: 'number',
    },
    required: ['pressureMPa', 'forceN'],
  },
  /** The drying oven (thermal-profile node). */
  oven: {
    fields: {
      tempC: 'number',
      setpointC: 'number',
      heaterDuty: 'number',
      heaterEnabled: 'boolean',
      vacuumOn: 'boolean',
      vacuumOk: 'boolean',
      status: 'string',
      segment: 'number',
      phase: 'string',
      soakS: 'number',
      runId: 'string',
      batch: 'string',
      /** The segment's name and what the plan says is left of it and of the run, in the oven's seconds. */
      segmentName: 'string',
      segmentLeftS: 'number',
      runLeftS: 'number',
      /** A simulated oven's time scale, when it is not 1. */
      timeScale: 'number',
    },
  },
  /** Controller events and alarms (src/control/events.ts eventFields); an event's data as text. */
  events: {
    fields: { kind: 'string', code: 'string', message: 'string', timeS: 'number' },
    required: ['kind', 'code', 'message'],
    other: 'string',
  },
  /** Cell-health alert state per channel (src/health/conditions.ts); each kind's state as text. */
  alert: {
    fields: {
      level: 'number',
      kind: 'string',
      state: 'string',
      severity: 'string',
      message: 'string',
      cycle: 'number',
    },
    other: 'string',
  },
  /** Relay state of each cell channel (cell-channels node): a field per channel. */
  relays: { fields: { analyser: 'string' }, other: 'string' },
  /** One channel's relay state (what the Rig dashboard reads). */
  relay: { fields: { state: 'string' } },
  /** Cycler trace. */
  cycling: { fields: { voltageV: 'number', currentA: 'number', cycle: 'number', timeS: 'number' } },
  /** One point per finished cycle. */
  cycle: {
    fields: {
      cycle: 'number',
      chargeMAh: 'number',
      dischargeMAh: 'number',
      retention: 'number',
      coulombicEfficiency: 'number',
    },
  },
  /** Equivalent-circuit fit of the spectrum taken after a cycle. */
  /** `sweep`: which of the cycle's spectra it is, when an instrument takes several (instrument-watch). */
  'eis-fit': {
    fields: {
      cycle: 'number',
      sweep: 'number',
      rSeOhm: 'number',
      rCatOhm: 'number',
      /** R_CAT's standard error, and 1 when R_CAT was determined, 0 when not (src/health/rcat.ts). */
      rCatStderrOhm: 'number',
      rCatDetermined: 'number',
      rmse: 'number',
    },
  },
  /**
   * The cell-health detectors' evidence per cycle (nodes/cell-health/telemetry.ts): CE trend, the noise
   * the thresholds are scaled to, and R_CAT's normalised value and growth with its 95 % interval.
   */
  health: {
    fields: {
      cycle: 'number',
      ceBaseline: 'number',
      ceCusum: 'number',
      ceThreshold: 'number',
      ceSigma: 'number',
      voltageNoiseV: 'number',
      restSlopeVPerH: 'number',
      restSlopeThresholdVPerH: 'number',
      chargeDipV: 'number',
      chargeDipThresholdV: 'number',
      rCatNormalisedOhm: 'number',
      rCatGrowthPerCycle: 'number',
      rCatGrowthLower: 'number',
      rCatGrowthUpper: 'number',
      softShortFlagged: 'number',
    },
  },
  /** One point per frequency of a spectrum. */
  spectrum: { fields: { cycle: 'number', sweep: 'number', fHz: 'number', reOhm: 'number', imOhm: 'number' } },
} as const satisfies Record<string, StreamDeclaration>;
export type DeclaredStream = keyof typeof STREAMS;

/** A stream no one declared: numbers only. */
const UNDECLARED: StreamDeclaration = { fields: {}, other: 'number' };

/** The declared type of a stream's field, or undefined when the stream refuses it. */
export function fieldKind(streamName: string, field: string): FieldKind | undefined {
  const d: StreamDeclaration = (STREAMS as Record<string, StreamDeclaration>)[streamName] ?? UNDECLARED;
  return d.fields[field] ?? d.other;
}

const tagValueSchema = z
  .string()
  .min(1)
  .max(128)
  .superRefine((v, ctx) => {
    const why = unwritable('tag value', v);
    if (why) ctx.addIssue({ code: 'custom', message: why });
  });
const stringValue = z.string().max(1024);
/** zod 4's z.number() refuses NaN and the infinities: every number here is finite. */
const KIND_SCHEMAS = {
  number: z.number(),
  boolean: z.boolean(),
  string: stringValue,
} as const;
/** `other: 'string'`: a number or boolean is kept as its text, so the field's type never varies. */
const OTHER_SCHEMAS = {
  number: z.number(),
  boolean: z.boolean(),
  string: z
    .union([stringValue, z.number(), z.boolean()])
    .transform((v) => (typeof v === 'string' ? v : String(v))),
} as const;
export const fieldValueSchema = z.union([z.number(), z.boolean(), stringValue]);

/** Epoch ms; InfluxDB stores ns in an int64, which ends in April 2262. */
const MAX_TS_MS = 9_223_372_036_853;
const sampleCore = {
  ts: z.number().int().min(1_000_000_000_000).max(MAX_TS_MS),
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  cell: tagValueSchema.optional(),
  coating: tagValueSchema.optional(),
};
const CORE = new Set(Object.keys(sampleCore));

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** Names already found valid: the same few recur in every sample (the regex was a quarter of parsing). */
const validNames = new Set<string>();
function validName(k: string): boolean {
  if (validNames.has(k)) return true;
  if (!FIELD_NAME.test(k) || k === 'time') return false;
  if (validNames.size >= 10_000) validNames.clear();
  validNames.add(k);
  return true;
}

/** Does `v` hold a value of this kind (undefined: an absent optional field)? */
function ofKind(kind: FieldKind, v: unknown): boolean {
  if (v === undefined) return true;
  if (kind === 'number') return typeof v === 'number' && Number.isFinite(v);
  if (kind === 'boolean') return typeof v === 'boolean';
  return typeof v === 'string' && v.length <= 1024;
}

/**
 * The field count, names and declarations in one pass over the keys; each issue under its own path.
 * A stream without `other` has only its core and required fields in the zod shape; its optional
 * declared fields are checked here, by kind, in the same pass: a zod shape of every optional field took
 * 2.85 us per pressure sample against 1.1 to 1.5 us this way (A/B in one process, best of 9).
 */
function checkFields(streamName: string, d: StreamDeclaration) {
  const inShape = new Set([...CORE, ...(d.other ? Object.keys(d.fields) : (d.required ?? []))]);
  return (sample: Record<string, unknown>, ctx: z.RefinementCtx): void => {
    let count = 0;
    for (const key in sample) {
      if (++count > MAX_FIELDS) {
        ctx.addIssue({ code: 'custom', message: `at most ${MAX_FIELDS} fields` });
        return;
      }
      if (!validName(key)) {
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message:
            key === 'time'
              ? "'time' is InfluxDB's timestamp, not a field name (it would be dropped): rename it"
              : 'field names are letters, digits and _, starting with a letter',
        });
        continue;
      }
      if (inShape.has(key) || d.other) continue;
      const kind = d.fields[key];
      if (!kind)
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `not a field of stream '${streamName}' (declare it in STREAMS, src/telemetry/schemas.ts)`,
        });
      else if (!ofKind(kind, sample[key]))
        ctx.addIssue({
          code: 'custom',
          path: [key],
          message: `expected ${kind === 'string' ? 'a string of at most 1024 characters' : `a ${kind}`} (declared in STREAMS)`,
        });
    }
  };
}

function streamSchema(streamName: string, d: StreamDeclaration) {
  const shape: Record<string, z.ZodType> = {};
  const required = new Set(d.required ?? []);
  for (const [field, kind] of Object.entries(d.fields)) {
    if (!d.other && !required.has(field)) continue; // checked by kind in checkFields
    const s = KIND_SCHEMAS[kind];
    shape[field] = required.has(field) ? s : s.optional();
  }
  const other = d.other
    ? d === UNDECLARED
      ? z.number({
          error: `stream '${streamName}' is not declared, so its fields must be numbers (declare it in STREAMS, src/telemetry/schemas.ts)`,
        })
      : OTHER_SCHEMAS[d.other]
    : z.unknown();
  return z
    .object({ ...sampleCore, ...shape })
    .catchall(other)
    .superRefine(checkFields(streamName, d)) as unknown as z.ZodType<Sample>;
}

export type Sample = {
  ts: number;
  seq: number;
  cell?: string;
  coating?: string;
  [field: string]: number | boolean | string | undefined;
};

const schemas = new Map<string, z.ZodType<Sample>>(
  Object.entries(STREAMS).map(([name, d]) => [name, streamSchema(name, d)]),
);
const undeclaredSchemas = new Map<string, z.ZodType<Sample>>();

export const pressureSampleSchema = schemas.get('pressure') as z.ZodType<Sample>;
export type PressureSample = Sample & { pressureMPa: number; forceN: number };

export function schemaForStream(streamName: string): z.ZodType<Sample> {
  const declared = schemas.get(streamName);
  if (declared) return declared;
  let s = undeclaredSchemas.get(streamName);
  if (!s) {
    s = streamSchema(streamName, UNDECLARED);
    if (undeclaredSchemas.size >= 1000) undeclaredSchemas.clear();
    undeclaredSchemas.set(streamName, s);
  }
  return s;
}

export const streamNameSchema = idSchema;

/** The retained rig status; the broker publishes the `offline` form as the last will. */
export const rigStatusSchema = z.object({
  state: z.enum(['online', 'offline']),
  ts: z.number().int(),
  rig: idSchema,
});
export type RigStatus = z.infer<typeof rigStatusSchema>;

/** The writer's notice of a dead letter, on cellrig/v1/<rig>/deadletter (the letter itself is on disk). */
export const deadLetterSchema = z.object({
  ts: z.number().int(),
  /** The letter's id in the writer's dead-letter store (`cellrig bridge deadletters list`). */
  id: z.number().int().optional(),
  topic: z.string(),
  error: z.string(),
  payload: z.string(),
  count: z.number().int(),
});
export type DeadLetter = z.infer<typeof deadLetterSchema>;

/** Streams one rig's ack may name: the writer tracks no more per rig, so an ack stays small. */
export const MAX_STREAMS_PER_RIG = 256;
const seqRange = z.tuple([z.number().int().min(0), z.number().int().min(0)]);

/**
 * The writer's durable acknowledgement, retained on cellrig/v1/<rig>/ack: per `<channel>/<stream>`, the
 * seq up to which every sample is settled (in InfluxDB, or dead-lettered on the writer's disk), and
 * `gaps`, recent seq ranges it passed without having them (lost, unless a publisher still has them and
 * sends them again). `ok` is false while InfluxDB refuses or is away, so a publisher does not replay
 * into a writer that cannot write.
 */
export const ackSchema = z.object({
  ts: z.number().int(),
  ok: z.boolean(),
  pending: z.number().int().min(0),
  streams: z
    .record(z.string().max(200), z.number().int().min(-1).max(Number.MAX_SAFE_INTEGER))
    .refine((s) => Object.keys(s).length <= MAX_STREAMS_PER_RIG, `at most ${MAX_STREAMS_PER_RIG} streams`),
  gaps: z
    .record(z.string().max(200), z.array(seqRange).max(16))
    .refine((s) => Object.keys(s).length <= MAX_STREAMS_PER_RIG, `at most ${MAX_STREAMS_PER_RIG} streams`)
    .optional(),
});
export type Ack = z.infer<typeof ackSchema>;

/** Samples one message may carry: the publisher batches a stream's backlog after an outage. */
export const MAX_BATCH = 500;

type Decoded =
  | { ok: true; sample: Sample }
  /** `item`: the refused sample (one of a batch), `seq` when it has a readable one. */
  | { ok: false; error: string; item?: unknown; seq?: number };

/** The seq of a refused sample, when it has one a publisher could have issued. */
function readableSeq(item: unknown): number | undefined {
  const seq = (item as { seq?: unknown } | null)?.seq;
  return typeof seq === 'number' && Number.isSafeInteger(seq) && seq >= 0 ? seq : undefined;
}

function issuesText(error: z.ZodError, prefix = ''): string {
  return error.issues.map((i) => `${prefix}${i.path.join('.') || '(payload)'}: ${i.message}`).join('; ');
}

function parsePayload(
  payload: Uint8Array | string,
): { ok: true; json: unknown } | { ok: false; error: string } {
  const size = typeof payload === 'string' ? Buffer.byteLength(payload) : payload.byteLength;
  if (size > MAX_PAYLOAD_BYTES)
    return { ok: false, error: `payload is ${size} bytes (limit ${MAX_PAYLOAD_BYTES})` };
  try {
    return {
      ok: true,
      // A view of the payload's bytes, not a copy of them.
      json: JSON.parse(
        typeof payload === 'string'
          ? payload
          : Buffer.from(payload.buffer, payload.byteOffset, payload.byteLength).toString('utf8'),
      ),
    };
  } catch (e) {
    return { ok: false, error: `not JSON: ${(e as Error).message}` };
  }
}

/** Parses and validates one MQTT payload holding one sample; the error names the field. */
export function decodeSample(streamName: string, payload: Uint8Array | string): Decoded {
  const parsed = parsePayload(payload);
  if (!parsed.ok) return parsed;
  const sample = schemaForStream(streamName).safeParse(parsed.json);
  return sample.success
    ? { ok: true, sample: sample.data }
    : { ok: false, error: issuesText(sample.error), seq: readableSeq(parsed.json) };
}

/**
 * Parses a payload holding one sample or an array of up to MAX_BATCH samples of the stream. Each element
 * is judged on its own: one bad sample in a batch does not cost the others.
 */
export function decodeSamples(streamName: string, payload: Uint8Array | string): Decoded[] {
  const parsed = parsePayload(payload);
  if (!parsed.ok) return [parsed];
  const items = Array.isArray(parsed.json) ? parsed.json : [parsed.json];
  if (items.length === 0) return [{ ok: false, error: 'empty batch' }];
  if (items.length > MAX_BATCH)
    return [{ ok: false, error: `batch of ${items.length} samples (limit ${MAX_BATCH})` }];
  const schema = schemaForStream(streamName);
  const batch = Array.isArray(parsed.json);
  return items.map((item, i) => {
    const r = schema.safeParse(item);
    return r.success
      ? { ok: true, sample: r.data }
      : {
          ok: false,
          error: issuesText(r.error, batch ? `[${i}].` : ''),
          // One sample of a batch is kept on its own; a lone sample is the payload itself.
          ...(batch ? { item } : {}),
          seq: readableSeq(item),
        };
  });
}
