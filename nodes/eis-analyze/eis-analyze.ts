/**
 * `eis-analyze` node: fits an equivalent circuit to the impedance spectrum in msg.payload (arrays, or
 * the path of an instrument export), checks it with the linear Kramers-Kronig test and computes its
 * distribution of relaxation times. Results go to
 * output 1; a spectrum that cannot be analysed goes to output 2 with the reason, never an exception.
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { type Circuit, parseCircuit } from '../../src/eis/circuit';
import { dropInductive } from '../../src/eis/drop-inductive';
import { fitCircuit, fitReport } from '../../src/eis/fit';
import { parseSpectrumFile } from '../../src/eis/readers';
import { type Spectrum, spectrum } from '../../src/eis/spectrum';
import { errorMessage, short, status, validateConfig } from '../shared/node-support';
import { drtSummary, kkSummary } from './checks';
import {
  eisAnalyzeConfigSchema,
  payloadProblem,
  type SpectrumPayload,
  spectrumPayloadSchema,
} from './schema';

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

/** A spectrum the node cannot analyse; the message goes to output 2. */
class BadInput extends Error {}

async function toSpectrum(
  payload: SpectrumPayload,
): Promise<{ data: Spectrum; source: string; format: string }> {
  if (typeof payload === 'string') {
    let content: Buffer;
    try {
      content = await readFile(payload);
    } catch (err) {
      throw new BadInput(
        `payload: cannot read file '${payload}' (${(err as NodeJS.ErrnoException).code ?? errorMessage(err)})`,
      );
    }
    try {
      const parsed = parseSpectrumFile(basename(payload), content);
      return { data: parsed.spectrum, source: payload, format: parsed.format };
    } catch (err) {
      throw new BadInput(errorMessage(err));
    }
  }
  if ('fHz' in payload)
    return { data: spectrum(payload.fHz, payload.reOhm, payload.imOhm), source: 'payload', format: 'arrays' };
  return { data: spectrum(payload.f, payload.re, payload.im), source: 'payload', format: 'arrays' };
}

function resistances(report: ReturnType<typeof fitReport>): string {
  return report.parameters
    .filter((p) => p.unit === 'Ohm' && /^R\d*$/.test(p.name))
    .map((p) => `${p.name} ${p.value.toPrecision(3)}`)
    .join(' ');
}

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
    const configured = parseCircuit(config.circuit);
    this.status(status.idle(short(config.circuit)));

    const analyse = async (msg: Msg) => {
      let circuit: Circuit = configured;
      if (msg.circuit !== undefined) {
        if (typeof msg.circuit !== 'string') throw new BadInput('msg.circuit: must be a circuit string');
        try {
          circuit = parseCircuit(msg.circuit);
        } catch (err) {
          throw new BadInput(`msg.circuit: ${errorMessage(err).split('\n')[0]}`);
        }
      }
      const parsed = spectrumPayloadSchema.safeParse(msg.payload);
      if (!parsed.success) throw new BadInput(payloadProblem(parsed.error));
      const { data: raw, source, format } = await toSpectrum(parsed.data);
      const data = config.dropInductive ? dropInductive(raw) : raw;
      let fit: ReturnType<typeof fitCircuit>;
      try {
        fit = fitCircuit(circuit, data, {
          weighting: config.weighting,
          initialGuess: circuit === configured ? config.guess : undefined,
        });
      } catch (err) {
        throw new BadInput(errorMessage(err));
      }
      const report = fitReport(fit);
      const kk = config.validate ? kkSummary(data) : undefined;
      const drt = config.drt ? drtSummary(data) : undefined;
      return {
        report,
        kk,
        drt,
        source,
        format,
        points: data.fHz.length,
        dropped: raw.fHz.length - data.fHz.length,
      };
    };

    this.on('input', (msg: Msg, send: Send, done: (err?: Error) => void) => {
      analyse(msg).then(
        (result) => {
          const text = `RMSE ${result.report.rmse.toPrecision(2)} Ohm ${resistances(result.report)}`;
          const undetermined = result.report.notDetermined.length
            ? ` not determined: ${result.report.notDetermined.join(',')}`
            : '';
          const warn = !result.report.converged || undetermined !== '' || result.kk?.valid === false;
          this.status(
            warn
              ? status.warn(short(`${text}${result.kk?.valid === false ? ' KK invalid' : ''}${undetermined}`))
              : status.ok(short(text)),
          );
          msg.payload = {
            fit: result.report,
            kk: result.kk,
            drt: result.drt,
            source: result.source,
            format: result.format,
            points: result.points,
            dropped: result.dropped,
          };
          send([msg, null]);
          done();
        },
        (err: unknown) => {
          if (!(err instanceof BadInput)) {
            done(err instanceof Error ? err : new Error(String(err)));
            return;
          }
          this.status(status.error(short(err.message)));
          send([null, { ...msg, payload: { error: err.message, input: msg.payload } }]);
          done();
        },
      );
    });
    this.on('close', (done: () => void) => {
      this.status({});
      done();
    });
  }
  RED.nodes.registerType('eis-analyze', EisAnalyzeNode);
}
