/**
 * What `cellrig edge` runs (app/cli/edge.ts declares its options): every channel's stack load cell on
 * the simulated rig read at a fixed rate and published through the durable publisher (journal in
 * CELLRIG_DATA), until SIGINT/SIGTERM.
 */
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { openRigHardware } from '../../devices/board';
import { StackLoadCell } from '../../devices/load-cell';
import { RigPublisher } from '../../services/rig-publisher';
import { RealClock } from '../../src/clock';
import { DEFAULT_LOAD_CELL, idSchema } from '../../src/rig/config';

const envSchema = z.object({
  rig: idSchema,
  mqtt: z.string().regex(/^(mqtts?|wss?|tcp):\/\//, 'must be an mqtt:// URL'),
  data: z.string().min(1),
});

export type EdgeOptions = { rig?: string; channels: number; hz: number; seed: number };

export async function runEdge(options: EdgeOptions): Promise<number> {
  const parsed = envSchema.safeParse({
    rig: options.rig ?? process.env.RIG_ID ?? 'rig01',
    mqtt: process.env.MQTT_URL ?? '',
    data: process.env.CELLRIG_DATA || './.cellrig',
  });
  if (!parsed.success) {
    const issues = parsed.error.issues.map(
      (i) =>
        `  ${i.path.join('.') === 'mqtt' ? 'MQTT_URL' : i.path.join('.') === 'rig' ? '--rig' : 'CELLRIG_DATA'}: ${i.message}`,
    );
    process.stderr.write(`cellrig edge:\n${issues.join('\n')}\n`);
    return 2;
  }
  const a = { ...options, ...parsed.data };
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
