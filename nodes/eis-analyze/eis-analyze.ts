/**
 * `eis-analyze` node: fits an equivalent circuit to the impedance spectrum in msg.payload (arrays, or
 * the path of an instrument export), checks it with the linear Kramers-Kronig test and computes its
 * distribution of relaxation times. The work runs in an analysis worker thread (./analyse.ts), so the
 * control loops on Node-RED's thread never wait for it. Results go to output 1; a spectrum that cannot
 * be analysed, or a job the analysis pool refused (queue full) or stopped (time limit), goes to output 2
 * with the reason, never an exception.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { AnalysisRefused, AnalysisTimedOut } from '../../services/analysis-pool';
import { acquireAnalysis, isCancelled } from '../shared/analysis';
import { errorMessage, short, status, validateConfig } from '../shared/node-support';
import type { EisJob, EisOutcome } from './analyse';
import { eisAnalyzeConfigSchema } from './schema';

type EisAnalyzeDef = NodeDef & {
  circuit: string;
  weighting: string;
  dropInductive: boolean;
  guess: string;
  validate: boolean;
  drt: boolean;
};

type Msg = NodeMessageInFlow & { circuit?: unknown; file?: string };
type Send = (msgs: (NodeMessageInFlow | null)[]) => void;

export default function register(RED: NodeAPI): void {
  function EisAnalyzeNode(this: Node, def: EisAnalyzeDef) {
    RED.nodes.createNode(this, def);
    const config = validateConfig(
      this,
      eisAnalyzeConfigSchema,
      {
        circuit: def.circuit ?? '',
        weighting: def.weighting || undefined,
        dropInductive: def.dropInductive === true,
        guess: def.guess ?? '',
        validate: def.validate !== false,
        drt: def.drt !== false,
      },
      `eis-analyze "${def.name || def.id}"`,
    );
    if (!config) return;
    this.status(status.idle(short(config.circuit)));
    const analysis = acquireAnalysis(RED);
    // Aborted on close: what this node still has queued or running is dropped.
    const closing = new AbortController();

    const toOutput2 = (msg: Msg, send: Send, error: string, reason: string) => {
      this.status(status.error(short(error)));
      send([null, { ...msg, payload: { error, reason, input: msg.payload } }]);
    };

    this.on('input', (msg: Msg, send: Send, done: (err?: Error) => void) => {
      const job: EisJob = { config, circuit: msg.circuit, payload: msg.payload };
      this.status(status.idle('analysing'));
      analysis.run<EisOutcome>('analyseSpectrum', job, closing.signal).then(
        (out) => {
          if (out.ok) {
            this.status(out.warn ? status.warn(short(out.statusText)) : status.ok(short(out.statusText)));
            msg.payload = out.payload;
            send([msg, null]);
          } else toOutput2(msg, send, out.error, 'input');
          done();
        },
        (err: unknown) => {
          if (isCancelled(err)) done();
          else if (err instanceof AnalysisRefused) {
            toOutput2(msg, send, err.message, 'queue-full');
            done();
          } else if (err instanceof AnalysisTimedOut) {
            toOutput2(msg, send, err.message, 'time-limit');
            done();
          } else if (/could not be cloned|DataCloneError/i.test(errorMessage(err))) {
            toOutput2(
              msg,
              send,
              `payload: cannot be sent to the analysis thread (${errorMessage(err)})`,
              'input',
            );
            done();
          } else {
            this.status(status.error(short(errorMessage(err))));
            done(err instanceof Error ? err : new Error(String(err)));
          }
        },
      );
    });
    this.on('close', (done: () => void) => {
      closing.abort();
      this.status({});
      analysis.release().then(done, done);
    });
  }
  RED.nodes.registerType('eis-analyze', EisAnalyzeNode);
}
