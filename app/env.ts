/** The launcher's environment, validated once, with the variable named in any error. */
import { z } from 'zod';
import { idSchema, ioBackendSchema } from '../src/rig/config';

const port = z.coerce.number().int().min(0).max(65_535);
/** A URL of one of `protocols` with a host and, if given, a port from 1 to 65535 (URL refuses more). */
const optionalUrl = (protocols: RegExp, hint: string) =>
  z
    .string()
    .trim()
    .optional()
    .transform((v) => v || undefined)
    .refine((v) => v === undefined || protocols.test(v), hint)
    .superRefine((v, ctx) => {
      if (v === undefined || !protocols.test(v)) return;
      let url: URL;
      try {
        url = new URL(v);
      } catch {
        ctx.addIssue({ code: 'custom', message: 'not a valid URL (is the port within 1-65535?)' });
        return;
      }
      if (!url.hostname) ctx.addIssue({ code: 'custom', message: 'the URL has no host' });
      else if (url.port === '0')
        ctx.addIssue({ code: 'custom', message: 'port 0 is not a port to connect to' });
    });

export const envSchema = z
  .object({
    PORT: port.default(1880),
    /** Where the editor listens; beyond loopback only with an admin login (checked below). */
    HOST: z.string().trim().min(1).default('127.0.0.1'),
    /**
     * Other names browsers reach the editor by (comma-separated, each `name` or `name:port`), beyond
     * loopback; requests naming any other Host get 403 (app/editor-guard.ts).
     */
    CELLRIG_HOSTNAMES: z
      .string()
      .optional()
      .transform((v, ctx) => {
        const list = (v ?? '')
          .split(',')
          .map((s) => s.trim())
          .filter((s) => s !== '');
        const bad = list.find((s) => !HOSTNAME.test(s));
        if (bad !== undefined) {
          ctx.addIssue({
            code: 'custom',
            message: `'${bad}' is not a host name, an address or either with :port`,
          });
          return z.NEVER;
        }
        return list;
      }),
    MQTT_URL: optionalUrl(/^(mqtts?|wss?|tcp):\/\//, 'must be an mqtt://, mqtts://, ws:// or wss:// URL'),
    /** Broker login when the rig node has no credentials of its own (read by the nodes). */
    MQTT_USER: z.string().optional(),
    MQTT_PASSWORD: z.string().optional(),
    INFLUX_USER: z.string().optional(),
    INFLUX_PASSWORD: z.string().optional(),
    /** Port of the embedded broker that starts when MQTT_URL is not set. */
    MQTT_PORT: port.default(1883),
    /** Where the embedded broker listens (default: HOST); beyond loopback only with logins (below). */
    MQTT_HOST: z.string().trim().min(1).optional(),
    INFLUX_URL: optionalUrl(/^https?:\/\//, 'must be an http:// or https:// URL'),
    INFLUX_DB: z
      .string()
      .trim()
      .regex(/^[A-Za-z0-9_-]*$/, 'letters, digits, _ and - only')
      .optional()
      .transform((v) => v || 'cellrig'),
    /** The default flow's IO backend and Firmata serial port (the rig config node reads them). */
    RIG_BACKEND: ioBackendSchema.optional(),
    RIG_SERIAL_PORT: z.string().trim().optional(),
    /** How many times faster the default flow's simulated oven runs (1 to 100; sim only; default 60 on sim). */
    CELLRIG_SIM_OVEN_SCALE: z.coerce.number().min(1).max(100).optional(),
    RIG_ID: z
      .string()
      .optional()
      .transform((v) => v || 'rig01')
      .pipe(idSchema),
    CELLRIG_DATA: z
      .string()
      .optional()
      .transform((v) => v || './.cellrig'),
    /**
     * Encrypts the flows' credentials file; unset (or empty), cellrig generates a key once into
     * CELLRIG_DATA/credential-secret (app/credential-secret.ts).
     */
    CELLRIG_CREDENTIAL_SECRET: z
      .string()
      .optional()
      .transform((v) => v || undefined)
      .pipe(z.string().min(16, 'at least 16 characters').optional()),
    /** Analysis worker threads (fits, KK, DRT off Node-RED's thread); unset: 1 on 2 cores, 2 on 4 or more. */
    CELLRIG_ANALYSIS_THREADS: z.coerce.number().int().min(1).max(16).optional(),
    /** Analysis jobs that may wait for a worker; one more is refused. */
    CELLRIG_ANALYSIS_QUEUE: z.coerce.number().int().min(0).max(1000).optional(),
    /** A running analysis job's time limit, in seconds. */
    CELLRIG_ANALYSIS_TIMEOUT_S: z.coerce.number().positive().max(86_400).optional(),
    /** Editor login: a user name and a bcrypt hash (`cellrig hash-password`). */
    CELLRIG_ADMIN_USER: z.string().trim().min(1).optional(),
    CELLRIG_ADMIN_PASSWORD_HASH: z
      .string()
      .trim()
      .regex(/^\$2[aby]\$\d\d\$[./A-Za-z0-9]{53}$/, 'must be a bcrypt hash (cellrig hash-password)')
      .optional(),
  })
  .superRefine((env, ctx) => {
    if (Boolean(env.CELLRIG_ADMIN_USER) !== Boolean(env.CELLRIG_ADMIN_PASSWORD_HASH)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.CELLRIG_ADMIN_USER ? 'CELLRIG_ADMIN_PASSWORD_HASH' : 'CELLRIG_ADMIN_USER'],
        message: 'set both CELLRIG_ADMIN_USER and CELLRIG_ADMIN_PASSWORD_HASH, or neither',
      });
    }
    // The embedded broker beyond loopback: every client logs in, so no one else can publish as a rig.
    const brokerHost = env.MQTT_HOST ?? env.HOST;
    if (!env.MQTT_URL && !LOOPBACK.includes(brokerHost) && !(env.MQTT_USER && env.MQTT_PASSWORD)) {
      ctx.addIssue({
        code: 'custom',
        path: [env.MQTT_HOST ? 'MQTT_HOST' : 'HOST'],
        message: `the embedded MQTT broker on ${brokerHost} needs MQTT_USER (the rig id) and MQTT_PASSWORD, or MQTT_HOST=127.0.0.1`,
      });
    }
    // Never speed up a real oven's controller.
    if (
      env.CELLRIG_SIM_OVEN_SCALE !== undefined &&
      env.CELLRIG_SIM_OVEN_SCALE !== 1 &&
      env.RIG_BACKEND !== undefined &&
      env.RIG_BACKEND !== 'sim'
    ) {
      ctx.addIssue({
        code: 'custom',
        path: ['CELLRIG_SIM_OVEN_SCALE'],
        message: `is for the simulated rig only (RIG_BACKEND is ${env.RIG_BACKEND}): leave it unset or 1`,
      });
    }
    // An open editor runs arbitrary code on the Pi: never reachable from the network without a login.
    if (!LOOPBACK.includes(env.HOST) && !env.CELLRIG_ADMIN_PASSWORD_HASH) {
      ctx.addIssue({
        code: 'custom',
        path: ['HOST'],
        message: `binding the editor to ${env.HOST} needs CELLRIG_ADMIN_USER and CELLRIG_ADMIN_PASSWORD_HASH`,
      });
    }
  });

const LOOPBACK = ['127.0.0.1', 'localhost', '::1'];
/** A DNS name, an IPv4 address or a bracketed IPv6 address, each with an optional :port. */
const HOSTNAME =
  /^(\[[0-9A-Fa-f:.]+\]|[A-Za-z0-9]([A-Za-z0-9-]{0,62})(\.[A-Za-z0-9]([A-Za-z0-9-]{0,62}))*\.?)(:\d{1,5})?$/;
export type Env = z.infer<typeof envSchema>;

export function readEnv(source: NodeJS.ProcessEnv): Env {
  const parsed = envSchema.safeParse(source);
  if (parsed.success) return parsed.data;
  const lines = parsed.error.issues.map((i) => `  ${i.path.join('.')}: ${i.message}`);
  throw new Error(`bad environment:\n${lines.join('\n')}`);
}
