/**
 * `cellrig watch DIR --cell ID`: the instrument-watch node without Node-RED, for a lab server or a Pi
 * that follows an instrument PC's share. Every completed cycle and spectrum of the cell's files goes
 * through the same cell-health core as a simulated channel (src/health/cell-monitor.ts), its verdict is
 * printed, and with MQTT_URL set its cycle, eis-fit, cycling and spectrum telemetry is published
 * through the durable publisher (journal in CELLRIG_DATA), as a cell-health node's would be.
 */
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import type { Command } from 'commander';
import { InvalidArgumentError } from 'commander';
import { EXIT, numberIn, onRun, subcommand } from './grammar';

type WatchOptions = {
  cell: string;
  channel: string;
  rig?: string;
  pattern: string;
  pollS: number;
  settleS: number;
  finishAfterS: number;
  coating: string;
  stateDir?: string;
  once?: boolean;
};

const ID = /^[A-Za-z0-9_-]{1,64}$/;
const id = (v: string) => {
  if (!ID.test(v)) throw new InvalidArgumentError('Allowed: 1-64 letters, digits, _ and -.');
  return v;
};

export function register(program: Command): void {
  const cmd = subcommand(
    program,
    'watch <dir>',
    'follow a folder of instrument files (a share): each completed cycle and spectrum into cell health and MQTT',
  )
    .requiredOption('--cell <id>', "the cell the folder's files belong to", id)
    .option('--channel <id>', 'channel in the telemetry topics', id, 'ch1')
    .option('--rig <id>', 'rig in the telemetry topics (default: RIG_ID, else rig01)', id)
    .option('--pattern <globs>', "the cell's files, comma-separated globs", '*.mpr, *.mpt')
    .option('--coating <name>', 'coating tag on the telemetry', 'unknown')
    .option('--poll-s <s>', 'list the folder every', numberIn({ min: 0.05, max: 3600, unit: 's' }), 5)
    .option(
      '--settle-s <s>',
      'read a file once unchanged this long',
      numberIn({ min: 0, max: 86_400, unit: 's' }),
      10,
    )
    .option(
      '--finish-after-s <s>',
      'a file unchanged this long is finished (its last cycle goes out)',
      numberIn({ min: 1, max: 30 * 86_400, unit: 's' }),
      3600,
    )
    .option('--state-dir <dir>', 'where what was handed on is kept (default: CELLRIG_DATA/watch)')
    .option('--once', 'read what is there now, every file as finished, and exit')
    .addHelpText(
      'after',
      '\nPolls the folder (file-system events do not reach Linux for changes another machine makes on an\n' +
        'SMB or NFS share). A file is read once unchanged for --settle-s; only cycles that a later cycle has\n' +
        'followed, and spectra that rows have followed, are taken, so a half-written cycle is never judged.\n' +
        'Files are one cell in name order; a restart hands on nothing twice. With MQTT_URL set, telemetry is\n' +
        'published as cellrig/v1/<rig>/<channel>/{cycle,eis-fit,cycling,spectrum}.\n' +
        'Exit codes: 0 stopped (SIGINT, SIGTERM, or --once done), 1 failure, 2 bad option.',
    );
  onRun(cmd, async (dir: string, opts: WatchOptions) => runWatch(dir, opts));
}

async function runWatch(dir: string, opts: WatchOptions): Promise<number> {
  const { InstrumentWatcher } = await import('../../services/instrument-watcher.js');
  const { RigPublisher } = await import('../../services/rig-publisher.js');
  const { RealClock } = await import('../../src/clock.js');
  const { CellMonitor } = await import('../../src/health/cell-monitor.js');
  const { globToRegExp } = await import('../../src/instruments/glob.js');
  const { telemetryMsgs } = await import('../../nodes/cell-health/telemetry.js');

  const rig = opts.rig ?? process.env.RIG_ID ?? 'rig01';
  const data = resolve(process.env.CELLRIG_DATA || './.cellrig');
  const stateDir = resolve(opts.stateDir ?? join(data, 'watch'));
  mkdirSync(stateDir, { recursive: true });
  const clock = new RealClock();
  const store = (name: string) => {
    const file = join(stateDir, `${opts.cell}.${name}.json`);
    return {
      load: () => {
        try {
          return JSON.parse(readFileSync(file, 'utf8')) as unknown;
        } catch {
          return undefined;
        }
      },
      save: (state: unknown) => {
        writeFileSync(`${file}.tmp`, JSON.stringify(state));
        renameSync(`${file}.tmp`, file);
      },
    };
  };
  const healthStore = store('health');
  const monitor = new CellMonitor(healthStore.load());
  const mqttUrl = process.env.MQTT_URL;
  const publisher = mqttUrl
    ? new RigPublisher({
        url: mqttUrl,
        rigId: rig,
        clock,
        journalDir: join(data, 'journal', rig),
        username: process.env.MQTT_USER,
        password: process.env.MQTT_PASSWORD,
      })
    : null;
  publisher?.on('alarm', (m: string) => process.stderr.write(`cellrig watch: ALARM ${m}\n`));
  const say = (line: string) => process.stdout.write(`${line}\n`);

  const watcher = new InstrumentWatcher({
    dir,
    pattern: globToRegExp(opts.pattern),
    pollMs: opts.pollS * 1000,
    settleMs: opts.once ? 0 : opts.settleS * 1000,
    finishAfterMs: opts.once ? 0 : opts.finishAfterS * 1000,
    clock,
    store: store('watch'),
    warn: (m) => process.stderr.write(`cellrig watch: ${m}\n`),
    deliver: async (item) => {
      const { kind, file, ...payload } = item;
      const out =
        kind === 'cycle' ? monitor.addCycle(payload, clock.now()) : monitor.addSpectrum(payload, clock.now());
      if ('rejected' in out) {
        if (!/duplicate ignored/.test(out.rejected)) say(`${file}: not used: ${out.rejected}`);
        return;
      }
      healthStore.save(monitor.toJSON());
      for (const w of out.warnings) process.stderr.write(`cellrig watch: ${w}\n`);
      const s = out.summary;
      const parts = [
        kind === 'cycle'
          ? `cycle ${out.cycle}`
          : `cycle ${out.cycle} spectrum ${item.kind === 'spectrum' ? item.sweep : ''}`,
      ];
      if (s) {
        parts.push(
          `charge ${(s.chargeAh * 1000).toFixed(4)} mAh, discharge ${(s.dischargeAh * 1000).toFixed(4)} mAh`,
        );
        if (s.coulombicEfficiency !== null) parts.push(`CE ${s.coulombicEfficiency.toFixed(4)}`);
      }
      if (out.rCatOhm !== null) parts.push(`R_CAT ${out.rCatOhm.toPrecision(4)} Ohm`);
      const active = out.health.alerts.filter((a) => a.active).map((a) => a.kind);
      parts.push(active.length ? `ALERT ${active.join(', ')}` : 'no alert');
      say(`${file}: ${parts.join(', ')}`);
      if (publisher) {
        const ctx = {
          channel: opts.channel,
          cell: opts.cell,
          coating: opts.coating,
          nowMs: clock.now(),
          msPerCellS: 1000,
        };
        for (const m of telemetryMsgs(ctx, out, payload)) {
          const msg = m as unknown as { stream: string; payload: Record<string, unknown> };
          await publisher.publish({ channel: opts.channel, stream: msg.stream, fields: msg.payload });
        }
      }
    },
  });

  let code: number = EXIT.ok;
  if (opts.once) {
    try {
      await watcher.pollOnce();
    } catch (e) {
      process.stderr.write(`cellrig watch: ${(e as Error).message}\n`);
      code = EXIT.failure;
    }
  } else {
    say(
      `cellrig watch: ${resolve(dir)} (${opts.pattern}) for cell ${opts.cell}${publisher ? ` -> ${mqttUrl}` : ', no MQTT_URL: nothing published'}`,
    );
    watcher.start();
    await new Promise<void>((r) => {
      process.once('SIGINT', () => r());
      process.once('SIGTERM', () => r());
    });
    await watcher.stop();
  }
  await publisher?.close();
  return code;
}
