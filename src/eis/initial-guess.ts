/**
 * Initial guesses for any circuit, read off the spectrum, so a user never has to supply one.
 *
 * Circuits are written as impedance.py users write them: high frequency first. The top-level series
 * terms are sorted into roles: a lone R is the high-frequency intercept, L/La the inductive tail, a lone
 * C/CPE/W/Wo/Ws (and any diffusion element anywhere) the low-frequency tail, and every other term (a
 * parallel block, K, Zarc, G) an arc. Arcs take the spectrum's -Im apexes in written order; where the
 * spectrum shows fewer apexes than the circuit has arcs (an arc hidden above the highest measured
 * frequency, or merged into a neighbour), the missing ones are tried in each gap (a gap of many decades
 * at two points), and seeded random starts spread around every variant. The fitter runs all of them
 * briefly and keeps the best.
 */

import type { Random } from '../random';
import type { Circuit, CircuitNode } from './circuit';
import type { ArcFeature, SpectrumFeatures } from './spectrum-features';

const ALPHA0 = 0.85;
/** A gap between apexes wider than this (decades) is tried at its quarter points, not its midpoint. */
const WIDE_GAP_DECADES = 5;

type Arc = { rOhm: number; fHz: number };

type Context = { features: SpectrumFeatures; arcs: Arc[]; nextArc: number; hfShare: number; alpha: number };

/** The circuit's top-level series terms with their roles. */
function topTerms(circuit: Circuit): CircuitNode[] {
  const root = circuit.root;
  return root.kind === 'series' ? [...root.children] : [root];
}

type Role = 'hf' | 'inductor' | 'tail' | 'arc';

function roleOf(node: CircuitNode): Role {
  if (node.kind !== 'element') return 'arc';
  switch (node.def.symbol) {
    case 'R':
      return 'hf';
    case 'L':
    case 'La':
      return 'inductor';
    case 'C':
    case 'CPE':
    case 'W':
    case 'Wo':
    case 'Ws':
      return 'tail';
    default:
      return 'arc';
  }
}

export function arcCount(circuit: Circuit): number {
  return topTerms(circuit).filter((t) => roleOf(t) === 'arc').length;
}

/** Candidate arc sets: the apexes found, and for each missing arc every gap it could hide in. */
export function arcVariants(
  detected: readonly ArcFeature[],
  features: SpectrumFeatures,
  count: number,
): Arc[][] {
  if (count === 0) return [[]];
  const found = [...detected].sort((a, b) => b.rOhm - a.rOhm).slice(0, count);
  found.sort((a, b) => b.fHz - a.fHz);
  const missing = count - found.length;
  const small = Math.max(features.rSpanOhm / (count + 1), 1e-9);
  if (missing === 0) return [found.map((a) => ({ ...a }))];
  // Gap edges: one decade beyond each end of the measured range, and the apexes between. A wide gap's
  // midpoint lies too far from both ends to find an arc near either (exampleDataGamry.DTA: an apex at
  // 100 kHz, then -Im rising to the last point), so such a gap offers its quarter points instead.
  const edges = [features.fMaxHz * 10, ...found.map((a) => a.fHz), features.fMinHz / 10];
  const gaps = edges.slice(1).flatMap((lo, k) => {
    const hi = edges[k]!;
    const decades = Math.log10(hi / lo);
    if (decades <= WIDE_GAP_DECADES) return [Math.sqrt(lo * hi)];
    return [hi * 10 ** (-decades / 4), hi * 10 ** ((-3 * decades) / 4)];
  });
  const variants: Arc[][] = [];
  const place = (arcs: ArcFeature[], left: number, fromGap: number) => {
    if (left === 0) {
      variants.push([...arcs].sort((a, b) => b.fHz - a.fHz).map((a) => ({ ...a })));
      return;
    }
    for (let g = fromGap; g < gaps.length; g++) place([...arcs, { fHz: gaps[g]!, rOhm: small }], left - 1, g);
  };
  place(found, missing, 0);
  return variants.slice(0, 8);
}

/** A full parameter vector for the circuit from the features and one arc set. */
export function guessParameters(circuit: Circuit, features: SpectrumFeatures, arcs: Arc[]): Float64Array {
  const p = new Float64Array(circuit.parameterNames.length);
  const terms = topTerms(circuit);
  const hfCount = terms.filter((t) => roleOf(t) === 'hf').length;
  const ctx: Context = {
    features,
    arcs,
    nextArc: 0,
    hfShare: Math.max(features.rHfOhm, 1e-3 * features.rSpanOhm) / Math.max(hfCount, 1),
    alpha: ALPHA0,
  };
  for (const term of terms) {
    const role = roleOf(term);
    if (role === 'arc') {
      const arc = arcs[ctx.nextArc++] ?? {
        rOhm: features.rSpanOhm,
        fHz: Math.sqrt(features.fMinHz * features.fMaxHz),
      };
      fillArc(term, arc, ctx, p);
    } else {
      fillLone(term, role, ctx, p);
    }
  }
  return p;
}

function fillLone(node: CircuitNode, role: Role, ctx: Context, p: Float64Array): void {
  if (node.kind !== 'element') return;
  const at = node.paramStart;
  const f = ctx.features;
  if (role === 'hf') {
    p[at] = ctx.hfShare;
  } else if (role === 'inductor') {
    const wMax = 2 * Math.PI * f.fMaxHz;
    // With no inductive points, start from an inductance worth 0.1 % of |Z| at the top frequency.
    const l = f.inductanceH > 0 ? f.inductanceH : (1e-3 * f.zMaxOhm) / wMax;
    if (node.def.symbol === 'La') {
      p[at] = (l * wMax) / wMax ** 0.95;
      p[at + 1] = 0.95;
    } else {
      p[at] = l;
    }
  } else {
    fillTail(node, ctx, p);
  }
}

/** Low-frequency elements, sized to reproduce -Im Z at the lowest frequency. */
function fillTail(node: CircuitNode & { kind: 'element' }, ctx: Context, p: Float64Array): void {
  const at = node.paramStart;
  const w = ctx.features.lowOmega;
  const y = ctx.features.lowMinusImOhm;
  switch (node.def.symbol) {
    case 'C':
      p[at] = 1 / (w * y);
      break;
    case 'CPE':
      p[at + 1] = ctx.alpha;
      p[at] = Math.sin((ctx.alpha * Math.PI) / 2) / (y * w ** ctx.alpha);
      break;
    case 'W':
      p[at] = y * Math.sqrt(w);
      break;
    default:
      // Wo, Ws: tau a few times 1/omega_min, R so that -Im(Z) about matches there.
      p[at] = 2.5 * y;
      p[at + 1] = 3 / w;
  }
}

function fillArc(node: CircuitNode, arc: Arc, ctx: Context, p: Float64Array): void {
  if (node.kind !== 'element') {
    for (const child of node.children) fillArc(child, arc, ctx, p);
    return;
  }
  const at = node.paramStart;
  const w = 2 * Math.PI * arc.fHz;
  const r = arc.rOhm;
  switch (node.def.symbol) {
    case 'R':
      p[at] = r;
      break;
    case 'C':
      p[at] = 1 / (w * r);
      break;
    case 'CPE':
      p[at + 1] = ctx.alpha;
      p[at] = 1 / (r * w ** ctx.alpha);
      break;
    case 'L':
      p[at] = r / w;
      break;
    case 'La':
      p[at] = r / w ** 0.95;
      p[at + 1] = 0.95;
      break;
    case 'K':
    case 'G':
      p[at] = r;
      p[at + 1] = 1 / w;
      break;
    case 'Zarc':
      p[at] = r;
      p[at + 1] = 1 / w;
      p[at + 2] = ctx.alpha;
      break;
    default:
      fillTail(node, ctx, p);
  }
}

/**
 * A start near `base`: every positive parameter scaled by a log-normal factor (spread `sigma` in
 * natural-log units), every exponent drawn from [0.5, 1).
 */
export function perturbed(circuit: Circuit, base: Float64Array, random: Random, sigma: number): Float64Array {
  const p = Float64Array.from(base);
  circuit.parameterKinds.forEach((kind, k) => {
    p[k] = kind === 'positive' ? base[k]! * Math.exp(sigma * random.normal()) : random.uniform(0.5, 1);
  });
  return p;
}
