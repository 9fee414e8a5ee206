/**
 * What `cellrig bridge` runs (app/cli/bridge.ts declares its options): the influx-writer without
 * Node-RED, configured by environment, stopping cleanly on SIGINT/SIGTERM, with dead letters and alarms
 * printed as they happen (at most one line a second for letters, with the count); and the dead-letter
 * store's list and replay.
 */
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { replayDeadLetters } from '../../services/dead-letter-replay';
import { DeadLetterStore } from '../../services/dead-letter-store';
import { InfluxHttp } from '../../services/influx-http';
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
  CELLRIG_DATA: z.string().optional(),
});

/** The writer's folder: CELLRIG_DATA/writer/<client id> (its watermarks and dead letters). */
function writerDir(env: NodeJS.ProcessEnv, clientId: string): string {
  return join(resolve(env.CELLRIG_DATA || './.cellrig'), 'writer', clientId);
}

function defaultClientId(env: NodeJS.ProcessEnv): string {
  return env.BRIDGE_CLIENT_ID || `cellrig-writer-${env.BRIDGE_RIG || 'all'}`;
}

export async function runBridge(): Promise<number> {
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
  const dir = writerDir(process.env, config.data.clientId);
  const writer = new InfluxWriter(
    config.data,
    new RealClock(),
    {
      username: env.data.MQTT_USER,
      password: env.data.MQTT_PASSWORD,
      influxUser: env.data.INFLUX_USER,
      influxPassword: env.data.INFLUX_PASSWORD,
      influxReadUser: env.data.INFLUX_READ_USER,
      influxReadPassword: env.data.INFLUX_READ_PASSWORD,
    },
    { dir },
  );
  let lastProblem = '';
  writer.on('problem', (m: string) => {
    if (m !== lastProblem) process.stderr.write(`cellrig bridge: ${m}\n`);
    lastProblem = m;
  });
  writer.on('alarm', (m: string) => process.stderr.write(`cellrig bridge: ALARM ${m}\n`));
  // Dead letters: the first at once, then at most one line a second with how many came since.
  let lettersSince = 0;
  let lastLetterLine = 0;
  writer.on('deadletter', (letter: { id?: number; topic: string; error: string }) => {
    lettersSince++;
    const now = Date.now();
    if (now - lastLetterLine < 1000) return;
    lastLetterLine = now;
    process.stderr.write(
      `cellrig bridge: ALARM dead letter #${letter.id} (${lettersSince} since the last line, ${writer.stats.deadLettered} in all, kept in ${join(dir, 'deadletters')}): ${letter.topic}: ${letter.error.slice(0, 200)}\n`,
    );
    lettersSince = 0;
  });
  writer.on('connect', () =>
    process.stdout.write(
      `cellrig bridge: ${config.data.brokerUrl} -> ${config.data.influxUrl}/${config.data.database} (state in ${dir})\n`,
    ),
  );
  writer.start();
  await new Promise<void>((resolveStop) => {
    process.once('SIGINT', () => resolveStop());
    process.once('SIGTERM', () => resolveStop());
  });
  await writer.close();
  const s = writer.stats;
  process.stdout.write(
    `cellrig bridge: stopped (${s.written} written, ${s.duplicates} duplicates, ${s.deadLettered} dead-lettered, ${s.gaps} gaps passed)\n`,
  );
  return 0;
}

export type DeadLetterOptions = { json?: boolean; dir?: string; id?: number[] };

export async function deadLetters(action: 'list' | 'replay', values: DeadLetterOptions): Promise<number> {
  const dir = values.dir
    ? resolve(values.dir)
    : join(writerDir(process.env, defaultClientId(process.env)), 'deadletters');
  const store = new DeadLetterStore({ dir });
  const { letters, replayed } = store.readAll();
  for (const p of store.problems) process.stderr.write(`cellrig bridge: damaged dead-letter store: ${p}\n`);
  if (action === 'list') {
    const open = letters.filter((l) => !replayed.has(l.id));
    if (values.json) process.stdout.write(`${JSON.stringify(open)}\n`);
    else {
      for (const l of open)
        process.stdout.write(
          `#${l.id} ${new Date(l.ts).toISOString()} ${l.stage} ${l.rig} ${l.topic}${l.seq !== undefined ? ` seq ${l.seq}` : ''}: ${l.error.slice(0, 200)}\n  ${l.payload.slice(0, 200)}${l.truncated ? ' (truncated)' : ''}\n`,
        );
      process.stdout.write(`${open.length} dead letters kept (${replayed.size} replayed) in ${dir}\n`);
    }
    store.close();
    return 0;
  }
  const influxUrl = process.env.INFLUX_URL;
  if (!influxUrl) {
    process.stderr.write('cellrig bridge deadletters replay: INFLUX_URL is required\n');
    store.close();
    return 2;
  }
  const influx = new InfluxHttp({
    url: influxUrl,
    db: process.env.INFLUX_DB || 'cellrig',
    username: process.env.INFLUX_USER,
    password: process.env.INFLUX_PASSWORD,
  });
  const result = await replayDeadLetters(store, influx, values.id);
  store.close();
  for (const f of result.failed) process.stdout.write(`#${f.id} still refused: ${f.error.slice(0, 300)}\n`);
  process.stdout.write(
    `cellrig bridge: replayed ${result.written.length} dead letters, ${result.failed.length} still refused\n`,
  );
  return result.failed.length > 0 ? 1 : 0;
}
