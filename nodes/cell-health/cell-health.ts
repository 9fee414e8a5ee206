/**
 * `cell-health` node: one cell channel's health, cycle by cycle. Takes a cycle per msg (samples, and
 * R_CAT or the charged-state spectrum), or in "simulated" mode runs the channel's reference cell on a
 * compressed time scale. Emits the health (verdict, alerts with evidence) on output 1 and `cycle` and
 * `eis-fit` telemetry samples on output 2. Keeps the cell's history across restarts. Each cycle's fit
 * and DRT run in an analysis worker thread (./pooled-monitor.ts), one cycle at a time, in order.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { z } from 'zod';
import { referenceCellFor, SimulatedCycler } from '../../devices/sim/models/cell-cycler';
import type { CycleOutcome } from '../../src/health/cell-monitor';
import { healthPayload, modelOf, statusLine } from '../../src/health/outcome-report';
import { coatingSchema, idSchema } from '../../src/rig/config';
import { isCancelled } from '../shared/analysis';
import { clockFor, errorMessage, short, status, validateConfig } from '../shared/node-support';
import { PooledMonitor } from './pooled-monitor';
import { stateFile } from './state-file';
import { type CycleData, telemetryMsgs } from './telemetry';

const configSchema = z.object({
  channel: idSchema,
  cell: idSchema,
  coating: coatingSchema,
  source: z.enum(['input', 'simulated']).default('input'),
  secondsPerCycle: z.coerce
    .number()
    .min(0.05)
    .max(7 * 24 * 3600)
    .default(20),
  seed: z.coerce.number().int().min(0).default(1),
  /** Warn when no cycle arrives for 3 of these (0: never); in simulated mode the cycle period. */
  expectedCycleS: z.coerce.number().min(0).default(0),
});
type Config = z.infer<typeof configSchema>;
type Send = (msgs: (NodeMessageInFlow | NodeMessageInFlow[] | null)[]) => void;
/** Cycles one node may have waiting for the analysis pool (a cell's history sent at once fits). */
const MAX_BACKLOG = 500;

export default function register(RED: NodeAPI): void {
  function CellHealthNode(this: Node, def: NodeDef & Record<string, unknown>) {
    RED.nodes.createNode(this, def);
    const cfg = validateConfig(this, configSchema, def, 'cell-health');
    if (!cfg) return;
    const clock = clockFor(RED);
    const store = stateFile(RED, `cell-health-${cfg.channel}-${this.id}`, (m) => this.warn(m));
    const cells = new PooledMonitor(RED, store.load(), MAX_BACKLOG);
    this.status(
      cells.monitor.lastCycle
        ? status.idle(`resumed at cycle ${cells.monitor.lastCycle}`)
        : status.idle('waiting for cycle 1'),
    );

    /** Takes one cycle; resolves with the error to report when it could not be analysed. */
    const take = async (payload: unknown, send: Send, msPerCellS: number): Promise<Error | undefined> => {
      let out: CycleOutcome | { rejected: string };
      try {
        out = await cells.take(payload, clock.now());
      } catch (err) {
        if (isCancelled(err)) return undefined; // the node closed
        const text = `${cfg.channel}: cycle not analysed: ${errorMessage(err)}`;
        this.status(status.error(short(text)));
        return new Error(text);
      }
      if ('rejected' in out) {
        this.status(status.warn(short(out.rejected)));
        this.warn(`${cfg.channel}: cycle not used: ${out.rejected}`);
        return undefined;
      }
      store.save(cells.monitor.toJSON());
      for (const w of out.warnings) this.warn(`${cfg.channel}: ${w}`);
      const ctx = { ...cfg, nowMs: clock.now(), msPerCellS };
      send([
        healthMsg(cfg, out),
        telemetryMsgs(ctx, out, payload as CycleData),
        spectrumMsg(cfg, out, payload),
      ]);
      this.status(statusOf(out));
      return undefined;
    };
    this.on('input', (msg: NodeMessageInFlow, send: Send, done: (err?: Error) => void) => {
      const finish = (err?: Error) => done(err && new Error(`cell-health: ${errorMessage(err)}`));
      take(msg.payload, send, 1000).then(finish, finish);
    });

    let cycler: SimulatedCycler | undefined;
    if (cfg.source === 'simulated') {
      const params = referenceCellFor(cfg.coating);
      if (params) {
        cycler = new SimulatedCycler(params, cfg.seed, clock, cfg.secondsPerCycle * 1000);
        cycler.skip(cells.monitor.lastCycle);
        cycler.start((c) => {
          const cellS = c.timeS[c.timeS.length - 1]! - c.timeS[0]!;
          const msPerCellS = cellS > 0 ? (cfg.secondsPerCycle * 1000) / cellS : 0;
          const report = (err?: Error) => err && this.error(`cell-health: ${errorMessage(err)}`);
          take(c, (msgs) => this.send(msgs), msPerCellS).then(report, report);
        });
      }
    }
    const expectedMs = (cfg.expectedCycleS || (cfg.source === 'simulated' ? cfg.secondsPerCycle : 0)) * 1000;
    const watch = expectedMs
      ? clock.setInterval(() => {
          const silent = cells.monitor.silence(clock.now(), expectedMs);
          if (silent) this.status(status.warn(short(`${cfg.channel}: ${silent}`)));
        }, expectedMs)
      : undefined;

    this.on('close', (_removed: boolean, done: () => void) => {
      cycler?.stop();
      clock.clearTimer(watch);
      store.save(cells.monitor.toJSON());
      this.status({});
      cells.close().then(done, done);
    });
  }
  RED.nodes.registerType('cell-health', CellHealthNode);
}

function healthMsg(cfg: Config, o: CycleOutcome): NodeMessageInFlow {
  const payload = healthPayload(cfg, o);
  return { _msgid: '', topic: `${cfg.channel}/health`, channel: cfg.channel, payload } as NodeMessageInFlow;
}

/**
 * The cycle's spectrum as one message, in the form eis-analyze takes, with the node's own fit and DRT of
 * it beside the payload (for the live panel's Nyquist and DRT plots); null when the cycle has none.
 */
function spectrumMsg(cfg: Config, o: CycleOutcome, payload: unknown): NodeMessageInFlow | null {
  const sp = (payload as CycleData).spectrum;
  if (!sp || sp.fHz.length === 0) return null;
  return {
    _msgid: '',
    topic: `${cfg.channel}/spectrum`,
    channel: cfg.channel,
    cell: cfg.cell,
    cycle: o.cycle,
    payload: { fHz: Array.from(sp.fHz), reOhm: Array.from(sp.reOhm), imOhm: Array.from(sp.imOhm) },
    ...modelOf(o),
  } as NodeMessageInFlow;
}

function statusOf(o: CycleOutcome) {
  const { text, level } = statusLine(o);
  return status[level](short(text));
}
