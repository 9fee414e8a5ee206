/** Settings of the InfluxDB writer (node and bridge alike). */
import { z } from 'zod';

const urlOrEmpty = (protocols: string[]) =>
  z
    .string()
    .trim()
    .refine(
      (v) => v === '' || protocols.some((p) => v.startsWith(`${p}://`)),
      `must start with ${protocols.join(':// or ')}://`,
    );

export const writerConfigSchema = z
  .object({
    brokerUrl: urlOrEmpty(['mqtt', 'mqtts', 'ws', 'wss', 'tcp']),
    influxUrl: urlOrEmpty(['http', 'https']),
    /** Node-RED turns an unset ${INFLUX_DB} into '': fall back to the documented default. */
    database: z
      .string()
      .trim()
      .max(64)
      .regex(/^[A-Za-z0-9_-]*$/, 'letters, digits, _ and - only')
      .transform((v) => v || 'cellrig'),
    /** Only this rig's topics ('' = every rig on the broker, as a lab server's bridge does). */
    rig: z
      .string()
      .trim()
      .max(64)
      .regex(/^[A-Za-z0-9_-]*$/, 'letters, digits, _ and - only'),
    /** Fixed, so the broker keeps the writer's persistent session; '' derives it from `rig`. */
    clientId: z
      .string()
      .trim()
      .max(64)
      .regex(/^[A-Za-z0-9_-]*$/, 'letters, digits, _ and - only'),
    batchSize: z.coerce.number().int().min(1).max(50_000).default(1000),
    flushMs: z.coerce.number().int().min(10).max(60_000).default(100),
  })
  .transform((c) => ({ ...c, clientId: c.clientId || `cellrig-writer-${c.rig || 'all'}` }));
export type WriterConfig = z.infer<typeof writerConfigSchema>;
