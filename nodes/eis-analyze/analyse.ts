/**
 * What eis-analyze does with one message, as a plain function of plain data, so it runs in an analysis
 * worker thread (nodes/shared/analysis-worker.ts), never on Node-RED's: the payload checked, the
 * spectrum read (arrays or an instrument export), the circuit fitted, the KK test and the DRT. Returns
 * the output payload and the status text, or the reason the spectrum cannot be analysed (output 2).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { type Circuit, parseCircuit } from '../../src/eis/circuit';
import { dropInductive } from '../../src/eis/drop-inductive';
import { fitCircuit, fitReport } from '../../src/eis/fit';
import { parseSpectrumFile } from '../../src/eis/readers';
import { type Spectrum, spectrum } from '../../src/eis/spectrum';
import { errorMessage } from '../shared/node-support';
import { drtSummary, kkSummary } from './checks';
import { type EisAnalyzeConfig, payloadProblem, type SpectrumPayload, spectrumPayloadSchema } from './schema';

export type EisJob = { config: EisAnalyzeConfig; circuit?: unknown; payload: unknown };
export type EisOutcome =
  | { ok: true; payload: Record<string, unknown>; statusText: string; warn: boolean }
  | { ok: false; error: string };

/** A spectrum the node cannot analyse; the message goes to output 2. */
class BadInput extends Error {}

export async function analyseSpectrum(job: EisJob): Promise<EisOutcome> {
  try {
    return await analyse(job);
  } catch (err) {
    if (err instanceof BadInput) return { ok: false, error: err.message };
    throw err;
  }
}

async function analyse({ config, circuit: asked, payload }: EisJob): Promise<EisOutcome> {
  let circuit: Circuit;
  if (asked !== undefined) {
    if (typeof asked !== 'string') throw new BadInput('msg.circuit: must be a circuit string');
    try {
      circuit = parseCircuit(asked);
    } catch (err) {
      throw new BadInput(`msg.circuit: ${errorMessage(err).split('\n')[0]}`);
    }
  } else circuit = parseCircuit(config.circuit);
  const parsed = spectrumPayloadSchema.safeParse(payload);
  if (!parsed.success) throw new BadInput(payloadProblem(parsed.error));
  const { data: raw, source, format } = await toSpectrum(parsed.data);
  const data = config.dropInductive ? dropInductive(raw) : raw;
  let fit: ReturnType<typeof fitCircuit>;
  try {
    fit = fitCircuit(circuit, data, {
      weighting: config.weighting,
      // The configured guess belongs to the configured circuit only.
      initialGuess: asked === undefined ? config.guess : undefined,
    });
  } catch (err) {
    throw new BadInput(errorMessage(err));
  }
  const report = fitReport(fit);
  const kk = config.validate ? kkSummary(data) : undefined;
  const drt = config.drt ? drtSummary(data) : undefined;
  const text = `RMSE ${report.rmse.toPrecision(2)} Ohm ${resistances(report)}`;
  const undetermined = report.notDetermined.length
    ? ` not determined: ${report.notDetermined.join(',')}`
    : '';
  const warn = !report.converged || undetermined !== '' || kk?.valid === false;
  return {
    ok: true,
    payload: {
      fit: report,
      kk,
      drt,
      source,
      format,
      points: data.fHz.length,
      dropped: raw.fHz.length - data.fHz.length,
    },
    statusText: warn ? `${text}${kk?.valid === false ? ' KK invalid' : ''}${undetermined}` : text,
    warn,
  };
}

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
