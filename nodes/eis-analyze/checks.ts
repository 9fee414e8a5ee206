/**
 * The Kramers-Kronig verdict and the DRT as plain JSON for msg.payload. Either may fail on a spectrum the
 * fit could still take (too few points for the RC chain, say): the reason is reported in place.
 */
import { distributionOfRelaxationTimes } from '../../src/eis/drt';
import { kramersKronigTest } from '../../src/eis/kk';
import type { Spectrum } from '../../src/eis/spectrum';
import { errorMessage } from '../shared/node-support';

export function kkSummary(data: Spectrum): Record<string, unknown> {
  try {
    const k = kramersKronigTest(data);
    return {
      valid: k.valid,
      M: k.M,
      rule: k.selection,
      reason: k.reason,
      mu: k.mu,
      chiSquare: k.chiSquare,
      noiseEstimatePct: k.noiseEstimatePct,
      thresholdPct: k.thresholdPct,
      maxResidualRealPct: k.maxResidualRealPct,
      maxResidualImagPct: k.maxResidualImagPct,
      rmsResidualPct: k.rmsResidualPct,
    };
  } catch (err) {
    return { valid: false, error: errorMessage(err) };
  }
}

export function drtSummary(data: Spectrum): Record<string, unknown> {
  try {
    const d = distributionOfRelaxationTimes(data);
    return {
      lambda: d.lambda,
      Rinf: d.rInfOhm,
      L: d.lH,
      Rpol: d.rPolOhm,
      peaks: d.peaks.map((p) => ({ tau: p.tauS, f: p.fHz, R: p.rOhm, share: p.share })),
      tau: Array.from(d.tauS),
      gamma: Array.from(d.gammaOhm),
    };
  } catch (err) {
    return { error: errorMessage(err) };
  }
}
