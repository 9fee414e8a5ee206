/**
 * Telemetry payloads. Every sample carries the rig's timestamp `ts` (ms since epoch) and a per-stream
 * sequence number `seq`, so a gap is visible and a retry is idempotent. Known streams have strict
 * schemas; any other stream must still be a flat record of finite numbers, booleans or short strings.
 */
import { z } from 'zod';
import { idSchema } from '../rig/config';

export const MAX_PAYLOAD_BYTES = 64 * 1024;
const MAX_FIELDS = 64;

const tagValueSchema = z
  .string()
  .min(1)
  .max(128)
  .regex(/^[^\n\r\t]+$/, 'no control characters');
/** zod 4's z.number() refuses NaN and the infinities: every number here is finite. */
export const fieldValueSchema = z.union([z.number(), z.boolean(), z.string().max(1024)]);

const sampleCore = {
  ts: z.number().int().min(1_000_000_000_000).max(10_000_000_000_000),
  seq: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
  cell: tagValueSchema.optional(),
  coating: tagValueSchema.optional(),
};

const FIELD_NAME = /^[A-Za-z][A-Za-z0-9_]{0,63}$/;
/** Names already found valid: the same few recur in every sample (the regex was a quarter of parsing). */
const validNames = new Set<string>();
function validName(k: string): boolean {
  if (validNames.has(k)) return true;
  if (!FIELD_NAME.test(k)) return false;
  if (validNames.size >= 10_000) validNames.clear();
  validNames.add(k);
  return true;
}

/** The field count and names in one pass over the keys; a bad name is reported under its own path. */
function checkFieldNames(sample: Record<string, unknown>, ctx: z.RefinementCtx): void {
  let count = 0;
  for (const key in sample) {
    if (++count > MAX_FIELDS) {
      ctx.addIssue({ code: 'custom', message: `at most ${MAX_FIELDS} fields` });
      return;
    }
    if (!validName(key))
      ctx.addIssue({
        code: 'custom',
        path: [key],
        message: 'field names are letters, digits and _, starting with a letter',
      });
  }
}

function stream<T extends z.ZodRawShape>(fields: T) {
  return z
    .object({ ...sampleCore, ...fields })
    .catchall(fieldValueSchema)
    .superRefine(checkFieldNames);
}

export const pressureSampleSchema = stream({
  pressureMPa: z.number(),
  forceN: z.number(),
});
export type PressureSample = z.infer<typeof pressureSampleSchema>;

export const genericSampleSchema = stream({});
export type Sample = z.infer<typeof genericSampleSchema>;

const knownStreams: Record<string, z.ZodType<Sample>> = {
  pressure: pressureSampleSchema,
};

export function schemaForStream(streamName: string): z.ZodType<Sample> {
  return knownStreams[streamName] ?? genericSampleSchema;
}

export const streamNameSchema = idSchema;

/** The retained rig status; the broker publishes the `offline` form as the last will. */
export const rigStatusSchema = z.object({
  state: z.enum(['online', 'offline']),
  ts: z.number().int(),
  rig: idSchema,
});
export type RigStatus = z.infer<typeof rigStatusSchema>;

export const deadLetterSchema = z.object({
  ts: z.number().int(),
  topic: z.string(),
  error: z.string(),
  payload: z.string(),
  count: z.number().int(),
});
export type DeadLetter = z.infer<typeof deadLetterSchema>;

/**
 * The writer's durable acknowledgement, retained on cellrig/v1/<rig>/ack: per `<channel>/<stream>`, the
 * seq up to which every sample is in InfluxDB. `ok` is false while InfluxDB refuses or is away, so a
 * publisher does not replay into a writer that cannot write.
 */
export const ackSchema = z.object({
  ts: z.number().int(),
  ok: z.boolean(),
  pending: z.number().int().min(0),
  streams: z.record(z.string().max(200), z.number().int().min(-1)),
});
export type Ack = z.infer<typeof ackSchema>;

/** Samples one message may carry: the publisher batches a stream's backlog after an outage. */
export const MAX_BATCH = 500;

type Decoded = { ok: true; sample: Sample } | { ok: false; error: string };

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
  return sample.success ? { ok: true, sample: sample.data } : { ok: false, error: issuesText(sample.error) };
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
      : { ok: false, error: issuesText(r.error, batch ? `[${i}].` : '') };
  });
}
