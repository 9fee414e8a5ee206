/**
 * `cellrig bridge`: the influx-writer without Node-RED, for a lab server that gathers every rig's
 * telemetry. Configured by environment (MQTT_URL, INFLUX_URL, INFLUX_DB, BRIDGE_RIG to limit it to one
 * rig, MQTT_USER/MQTT_PASSWORD, INFLUX_USER/INFLUX_PASSWORD for writes, INFLUX_READ_USER/
 * INFLUX_READ_PASSWORD for reading the watermarks back); stops cleanly on SIGINT/SIGTERM.
 */
import { z } from 'zod';
import { InfluxWriter } from '../../services/influx-writer';
import { RealClock } from '../../src/clock';
import { writerConfigSchema } from '../../src/telemetry/writer-config';

const bridgeEnvSchema = z.object({
  MQTT_URL: z.string().min(1, 'MQTT_URL is required'),
  INFLUX_URL: z.string().min(1, 'INFLUX_URL is required'),
  INFLUX_DB: z.string().optional(),
  BRIDGE_RIG: z.string().optional(),
  BRIDGE_CLIENT_ID: z.string().optional(),
  MQTT_USER: z.string().optional(),
  MQTT_PASSWORD: z.string().optional(),
  INFLUX_USER: z.string().optional(),
  INFLUX_PASSWORD: z.string().optional(),
  INFLUX_READ_USER: z.string().optional(),
  INFLUX_READ_PASSWORD: z.string().optional(),
});

export async function main(_argv: string[]): Promise<number> {
  const env = bridgeEnvSchema.safeParse(process.env);
  const config = env.success
    ? writerConfigSchema.safeParse({
        brokerUrl: env.data.MQTT_URL,
        influxUrl: env.data.INFLUX_URL,
        database: env.data.INFLUX_DB ?? '',
        rig: env.data.BRIDGE_RIG ?? '',
        clientId: env.data.BRIDGE_CLIENT_ID ?? '',
      })
    : env;
  if (!env.success || !config.success) {
    const issues = (config.success ? [] : config.error.issues).map(
      (i) => `  ${i.path.join('.')}: ${i.message}`,
    );
    process.stderr.write(`cellrig bridge: bad environment:\n${issues.join('\n')}\n`);
    return 2;
  }
  const writer = new InfluxWriter(config.data, new RealClock(), {
    username: env.data.MQTT_USER,
    password: env.data.MQTT_PASSWORD,
    influxUser: env.data.INFLUX_USER,
    influxPassword: env.data.INFLUX_PASSWORD,
    influxReadUser: env.data.INFLUX_READ_USER,
    influxReadPassword: env.data.INFLUX_READ_PASSWORD,
  });
  let lastProblem = '';
  writer.on('problem', (m: string) => {
    if (m !== lastProblem) process.stderr.write(`cellrig bridge: ${m}\n`);
    lastProblem = m;
  });
  writer.on('alarm', (m: string) => process.stderr.write(`cellrig bridge: ALARM ${m}\n`));
  writer.on('connect', () =>
    process.stdout.write(
      `cellrig bridge: ${config.data.brokerUrl} -> ${config.data.influxUrl}/${config.data.database}\n`,
    ),
  );
  writer.start();
  await new Promise<void>((resolve) => {
    process.once('SIGINT', () => resolve());
    process.once('SIGTERM', () => resolve());
  });
  await writer.close();
  const s = writer.stats;
  process.stdout.write(
    `cellrig bridge: stopped (${s.written} written, ${s.duplicates} duplicates, ${s.deadLettered} dead-lettered)\n`,
  );
  return 0;
}
