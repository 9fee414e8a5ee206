/**
 * `cellrig edge`: a rig without Node-RED. Reads every channel's stack load cell on the simulated rig
 * at a fixed rate and publishes through the durable publisher (journal in CELLRIG_DATA). Used for
 * load tests and benchmarks, and on a Pi that only needs to stream its load cells.
 *
 *   cellrig edge --rig rig01 --channels 8 --hz 10 [--seed 1]   (broker from MQTT_URL)
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { z } from 'zod';
import { openRigHardware } from '../../devices/board';
import { StackLoadCell } from '../../devices/load-cell';
import { RigPublisher } from '../../services/rig-publisher';
import { RealClock } from '../../src/clock';
import { DEFAULT_LOAD_CELL, idSchema } from '../../src/rig/config';

const argsSchema = z.object({
  rig: idSchema,
  channels: z.coerce.number().int().min(1).max(8),
  hz: z.coerce.number().min(0.1).max(50),
  seed: z.coerce.number().int().default(1),
  mqtt: z.string().regex(/^(mqtts?|wss?|tcp):\/\//, 'must be an mqtt:// URL'),
  data: z.string().min(1),
});

export async function main(argv: string[]): Promise<number> {
  const { values } = parseArgs({
    args: argv,
    options: {
      rig: { type: 'string' },
      channels: { type: 'string' },
      hz: { type: 'string' },
      seed: { type: 'string' },
    },
  });
  const parsed = argsSchema.safeParse({
    rig: values.rig ?? process.env.RIG_ID ?? 'rig01',
    channels: values.channels ?? 3,
    hz: values.hz ?? 1,
    seed: values.seed,
    mqtt: process.env.MQTT_URL ?? '',
    data: process.env.CELLRIG_DATA || './.cellrig',
  });
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (i) => `  ${i.path.join('.') === 'mqtt' ? 'MQTT_URL' : `--${i.path.join('.')}`}: ${i.message}`,
    );
    process.stderr.write(`cellrig edge:\n${issues.join('\n')}\n`);
    return 2;
  }
  const a = parsed.data;
  const clock = new RealClock();
  const hw = await openRigHardware({ rigId: a.rig, backend: 'sim', seed: a.seed }, clock);
  const publisher = new RigPublisher({
    url: a.mqtt,
    rigId: a.rig,
    clock,
    journalDir: join(resolve(a.data), 'journal', a.rig),
    username: process.env.MQTT_USER,
    password: process.env.MQTT_PASSWORD,
  });
  publisher.on('alarm', (m: string) => process.stderr.write(`cellrig edge: ALARM ${m}\n`));
  const cells = Array.from({ length: a.channels }, (_, port) => ({
    channel: `ch${port + 1}`,
    cell: new StackLoadCell(hw.bus, clock, {
      channel: `ch${port + 1}`,
      muxPort: port,
      dieDiameterMm: 10,
      calibration: DEFAULT_LOAD_CELL,
    }),
  }));
  let busy = false;
  const sample = async () => {
    if (busy) return; // a slow bus skips a beat rather than piling reads up
    busy = true;
    try {
      for (const { channel, cell } of cells) {
        const r = await cell.read();
        await publisher.publish({
          channel,
          stream: 'pressure',
          fields: { ts: r.ts, pressureMPa: r.pressureMPa, forceN: r.forceN, counts: r.counts },
        });
      }
    } catch (err) {
      process.stderr.write(`cellrig edge: ${(err as Error).message}\n`);
    } finally {
      busy = false;
    }
  };
  const timer = clock.setInterval(() => void sample(), 1000 / a.hz);
  process.stdout.write(`cellrig edge: ${a.rig}, ${a.channels} channels at ${a.hz} Hz -> ${a.mqtt}\n`);
  await new Promise<void>((r) => {
    process.once('SIGINT', () => r());
    process.once('SIGTERM', () => r());
  });
  clock.clearTimer(timer);
  await publisher.close();
  hw.close();
  process.stdout.write(
    `cellrig edge: stopped (${publisher.journal.stats.appended} journaled, backlog ${publisher.backlog})\n`,
  );
  return 0;
}
