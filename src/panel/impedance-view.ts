/**
 * The latest impedance spectrum of a chosen channel on the panel, from cell-health's spectrum messages:
 * the measured points and the fitted circuit's curve as a Nyquist plot (-Im Z up), and the DRT the node
 * computed (gamma against tau, for a log axis). Nothing is fitted here: the curve is the node's fit,
 * evaluated on a fine frequency grid.
 */
import { circuitImpedance, parseCircuit } from '../eis/circuit';
import { type ChartPoint, finite, thin } from './chart';

export type SpectrumMessage = {
  channel?: unknown;
  cycle?: unknown;
  payload?: unknown;
  fit?: {
    circuit: string;
    parameters: { name: string; value: number; unit?: string }[];
    rmsRelative?: number;
  };
  drt?: { tauS: number[]; gammaOhm: number[]; peaks?: { tauS: number; fHz: number; rOhm: number }[] };
};

type Spectrum = { fHz: number[]; reOhm: number[]; imOhm: number[] };
type Latest = {
  cycle: number;
  spectrum: Spectrum;
  fit?: SpectrumMessage['fit'];
  drt?: SpectrumMessage['drt'];
};

export type ImpedanceReadout = {
  channel: string;
  cycle: number;
  channels: string[];
  circuit?: string;
  rmsRelative?: number;
  parameters?: { name: string; value: number; unit?: string }[];
  peaks?: { tauS: number; fHz: number; rOhm: number }[];
};

const FIT_POINTS = 150;
const DRT_POINTS = 200;

function spectrumOf(p: unknown): Spectrum | null {
  const s = p as Partial<Spectrum> | null;
  if (!s || !Array.isArray(s.fHz) || !Array.isArray(s.reOhm) || !Array.isArray(s.imOhm)) return null;
  const n = s.fHz.length;
  if (n === 0 || s.reOhm.length !== n || s.imOhm.length !== n) return null;
  return s as Spectrum;
}

export class ImpedanceView {
  private readonly latest = new Map<string, Latest>();
  private selected: string | undefined;

  /** A spectrum message, or a channel to show (`select`); true when what is shown changed. */
  accept(msg: SpectrumMessage & { topic?: unknown }): boolean {
    if (msg.topic === 'select') {
      if (typeof msg.payload !== 'string' || !msg.payload) return false;
      this.selected = msg.payload;
      return this.latest.has(msg.payload);
    }
    const spectrum = spectrumOf(msg.payload);
    if (!spectrum || typeof msg.channel !== 'string' || !finite(msg.cycle)) return false;
    this.latest.set(msg.channel, { cycle: msg.cycle, spectrum, fit: msg.fit, drt: msg.drt });
    this.selected ??= msg.channel;
    return msg.channel === this.selected;
  }

  private shown(): [string, Latest] | null {
    const l = this.selected ? this.latest.get(this.selected) : undefined;
    return l ? [this.selected!, l] : null;
  }

  readout(): ImpedanceReadout | null {
    const s = this.shown();
    if (!s) return null;
    const [channel, l] = s;
    return {
      channel,
      cycle: l.cycle,
      channels: [...this.latest.keys()].sort(),
      ...(l.fit
        ? { circuit: l.fit.circuit, rmsRelative: l.fit.rmsRelative, parameters: l.fit.parameters }
        : {}),
      ...(l.drt?.peaks ? { peaks: l.drt.peaks } : {}),
    };
  }

  /** Measured points and the fitted curve, -Im Z against Re Z. */
  nyquist(): ChartPoint[] | null {
    const s = this.shown();
    if (!s) return null;
    const [channel, { cycle, spectrum, fit }] = s;
    const measured = `${channel} cycle ${cycle}`;
    const points: ChartPoint[] = spectrum.fHz.map((_, k) => ({
      series: measured,
      x: spectrum.reOhm[k]!,
      y: -spectrum.imOhm[k]!,
    }));
    if (fit) {
      try {
        const lo = Math.log10(Math.min(...spectrum.fHz));
        const hi = Math.log10(Math.max(...spectrum.fHz));
        const f = Array.from(
          { length: FIT_POINTS },
          (_, i) => 10 ** (hi - ((hi - lo) * i) / (FIT_POINTS - 1)),
        );
        const z = circuitImpedance(
          parseCircuit(fit.circuit),
          fit.parameters.map((p) => p.value),
          f,
        );
        for (let i = 0; i < f.length; i++)
          if (finite(z.re[i]) && finite(z.im[i])) points.push({ series: 'fit', x: z.re[i]!, y: -z.im[i]! });
      } catch {
        // A fit the circuit grammar no longer reads: the measured points alone.
      }
    }
    return points;
  }

  /** gamma (Ohm) against tau (s), thinned to what a chart shows. */
  drt(): ChartPoint[] | null {
    const s = this.shown();
    if (!s?.[1].drt) return null;
    const [channel, { cycle, drt }] = s;
    const series = `${channel} cycle ${cycle}`;
    const all = drt!.tauS
      .map((tau, i) => ({ series, x: tau, y: drt!.gammaOhm[i]! }))
      .filter((p) => finite(p.x) && p.x > 0 && finite(p.y));
    return thin(all, DRT_POINTS);
  }
}
