/**
 * `instrument-watch` node: follows a folder (a share the instrument PC writes to) for one cell's files
 * and sends each completed cycle and spectrum once, in order, in the form the cell-health node takes.
 * The watching, settling and bookkeeping live in services/instrument-watcher.ts; this adapts it.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { z } from 'zod';
import { InstrumentWatcher, WATCH_DEFAULTS, type WatchItem } from '../../services/instrument-watcher';
import { globToRegExp } from '../../src/instruments/glob';
import { idSchema } from '../../src/rig/config';
import { stateFile } from '../cell-health/state-file';
import { clockFor, errorMessage, short, status, validateConfig } from '../shared/node-support';

const configSchema = z.object({
  folder: z.string().trim().min(1, 'the folder to watch is required'),
  pattern: z
    .string()
    .default('*.mpr, *.mpt')
    .refine((p) => {
      try {
        globToRegExp(p);
        return true;
      } catch {
        return false;
      }
    }, 'give one or more file patterns, e.g. *_C01.mpr'),
  channel: idSchema,
  cell: idSchema,
  pollS: z.coerce
    .number()
    .min(0.05)
    .max(3600)
    .default(WATCH_DEFAULTS.pollMs / 1000),
  settleS: z.coerce
    .number()
    .min(0)
    .max(86_400)
    .default(WATCH_DEFAULTS.settleMs / 1000),
  finishAfterS: z.coerce
    .number()
    .min(1)
    .max(30 * 86_400)
    .default(WATCH_DEFAULTS.finishAfterMs / 1000),
});

export default function register(RED: NodeAPI): void {
  function InstrumentWatchNode(this: Node, def: NodeDef & Record<string, unknown>) {
    RED.nodes.createNode(this, def);
    const cfg = validateConfig(this, configSchema, def, 'instrument-watch');
    if (!cfg) return;
    const store = stateFile(RED, `instrument-watch-${cfg.channel}-${this.id}`, (m) => this.warn(m));
    let lastWarning = '';
    const watcher = new InstrumentWatcher({
      dir: cfg.folder,
      pattern: globToRegExp(cfg.pattern),
      pollMs: cfg.pollS * 1000,
      settleMs: cfg.settleS * 1000,
      finishAfterMs: cfg.finishAfterS * 1000,
      clock: clockFor(RED),
      store,
      deliver: (item: WatchItem) => {
        const { kind, file, ...payload } = item;
        this.send({
          topic: `${cfg.channel}/${kind}`,
          channel: cfg.channel,
          cell: cfg.cell,
          file,
          payload,
        } as never);
        this.status(
          status.ok(short(`c${item.cycle}${kind === 'spectrum' ? ` sweep ${item.sweep}` : ''} · ${file}`)),
        );
      },
      warn: (m: string) => {
        lastWarning = m;
        this.warn(m);
        this.status(status.warn(short(m)));
      },
      onRead: ({ file, items, final }) => {
        if (items === 0 && !lastWarning)
          this.status(status.ok(short(`${file}: ${final ? 'finished' : 'nothing new over yet'}`)));
        lastWarning = '';
      },
    });
    this.status(
      watcher.lastCycle
        ? status.idle(`resumed after cycle ${watcher.lastCycle}`)
        : status.idle(`watching ${cfg.folder}`),
    );
    try {
      watcher.start();
    } catch (err) {
      this.status(status.error(short(errorMessage(err))));
    }
    this.on('close', (_removed: boolean, done: () => void) => {
      watcher.stop().then(
        () => {
          this.status({});
          done();
        },
        () => done(),
      );
    });
  }
  RED.nodes.registerType('instrument-watch', InstrumentWatchNode);
}

export type InstrumentWatchMsg = NodeMessageInFlow & { file: string; channel: string; cell: string };
