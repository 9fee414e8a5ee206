/** The launcher's environment, validated once, with the variable named in any error. */
import { z } from 'zod';
import { idSchema } from '../src/rig/config';

const port = z.coerce.number().int().min(0).max(65_535);
const optionalUrl = (protocols: RegExp, hint: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => v || undefined)
    .refine((v) => v === undefined || protocols.test(v), hint);

export const envSchema = z.object({
  PORT: port.default(1880),
  /** Loopback only until adminAuth is configured: an open editor can run arbitrary code on the Pi. */
  HOST: z
    .string()
    .default('127.0.0.1')
    .refine(
      (h) => ['127.0.0.1', 'localhost', '::1'].includes(h),
      'the editor only binds to loopback (127.0.0.1)',
    ),
  MQTT_URL: optionalUrl(/^(mqtts?|wss?|tcp):\/\//, 'must be an mqtt://, mqtts://, ws:// or wss:// URL'),
  /** Port of the embedded broker that starts when MQTT_URL is not set. */
  MQTT_PORT: port.default(1883),
  INFLUX_URL: optionalUrl(/^https?:\/\//, 'must be an http:// or https:// URL'),
  INFLUX_DB: z
    .string()
    .trim()
    .regex(/^[A-Za-z0-9_-]*$/, 'letters, digits, _ and - only')
    .optional()
    .transform((v) => v || 'cellrig'),
  RIG_ID: z
    .string()
    .optional()
    .transform((v) => v || 'rig01')
    .pipe(idSchema),
  CELLRIG_DATA: z
    .string()
    .optional()
    .transform((v) => v || './.cellrig'),
  CELLRIG_CREDENTIAL_SECRET: z.string().optional(),
});
export type Env = z.infer<typeof envSchema>;

export function readEnv(source: NodeJS.ProcessEnv): Env {
  const parsed = envSchema.safeParse(source);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  throw new Error(`bad environment:\n${lines.join('\n')}`);
}
