/**
 * Equivalent circuits in impedance.py's notation: elements in series joined by `-`, in parallel as
 * `p(a,b,...)`, nested freely, e.g. `R0-p(R1,C1)-p(R2-Wo1,C2)`. An element is its symbol (see
 * elements.ts) followed by a number or suffix made of digits and `_` (R0, CPE1, Wo_2).
 *
 * Parameters are numbered in the order they are written. A one-parameter element's parameter carries
 * the element's name (R0); a multi-parameter element's are `<name>_<k>` (CPE1_0 = Q, CPE1_1 = alpha).
 * Because of that order, the parameters of any sub-circuit form one contiguous range, which lets the
 * evaluator apply the chain rule of a parallel block to its children's derivatives in place.
 */
import {
  type ElementDef,
  elementBySymbol,
  type FrequencyGrid,
  frequencyGrid,
  type ParamKind,
} from './elements';

export type CircuitNode =
  | { readonly kind: 'element'; readonly name: string; readonly def: ElementDef; readonly paramStart: number }
  | {
      readonly kind: 'series' | 'parallel';
      readonly children: readonly CircuitNode[];
      readonly paramStart: number;
      readonly paramEnd: number;
    };

export type CircuitElement = { readonly name: string; readonly def: ElementDef; readonly paramStart: number };

export type Circuit = {
  readonly text: string;
  readonly root: CircuitNode;
  /** Elements in the order written. */
  readonly elements: readonly CircuitElement[];
  readonly parameterNames: readonly string[];
  readonly parameterUnits: readonly string[];
  readonly parameterKinds: readonly ParamKind[];
};

export class CircuitSyntaxError extends Error {
  constructor(
    readonly text: string,
    readonly position: number,
    readonly expected: string,
  ) {
    const found = position < text.length ? `'${text[position]}'` : 'end of input';
    super(
      `circuit '${text}': expected ${expected} at position ${position + 1}, found ${found}\n` +
        `  ${text}\n  ${' '.repeat(position)}^`,
    );
    this.name = 'CircuitSyntaxError';
  }
}

/** Parses a circuit string; throws CircuitSyntaxError naming the position and what was expected. */
export function parseCircuit(text: string): Circuit {
  let pos = 0;
  let nParams = 0;
  const elements: CircuitElement[] = [];
  const names = new Set<string>();

  const skipSpace = () => {
    while (pos < text.length && /\s/.test(text[pos]!)) pos++;
  };

  const parseSeries = (): CircuitNode => {
    const start = nParams;
    const children = [parseTerm()];
    skipSpace();
    while (text[pos] === '-') {
      pos++;
      children.push(parseTerm());
      skipSpace();
    }
    return children.length === 1
      ? children[0]!
      : { kind: 'series', children, paramStart: start, paramEnd: nParams };
  };

  const parseTerm = (): CircuitNode => {
    skipSpace();
    const at = pos;
    const match = /^([A-Za-z]+)([0-9_]*)/.exec(text.slice(pos));
    if (!match) throw new CircuitSyntaxError(text, pos, "an element (such as R0 or CPE1) or 'p('");
    const [name, symbol] = match as unknown as [string, string];
    if (symbol === 'p' && name === 'p') {
      pos += 1;
      skipSpace();
      if (text[pos] !== '(') throw new CircuitSyntaxError(text, pos, "'(' after 'p'");
      pos++;
      const start = nParams;
      const children = [parseSeries()];
      skipSpace();
      while (text[pos] === ',') {
        pos++;
        children.push(parseSeries());
        skipSpace();
      }
      if (text[pos] !== ')')
        throw new CircuitSyntaxError(text, pos, children.length > 1 ? "',' or ')'" : "','");
      if (children.length < 2)
        throw new CircuitSyntaxError(text, pos, "',' (a parallel block needs two branches)");
      pos++;
      return { kind: 'parallel', children, paramStart: start, paramEnd: nParams };
    }
    const def = elementBySymbol(symbol);
    if (!def) {
      const known = ['R', 'C', 'L', 'W', 'CPE', 'La', 'K', 'Zarc', 'G', 'Wo', 'Ws'].join(', ');
      throw new CircuitSyntaxError(text, at, `a known element (${known}) or 'p(', not '${symbol}'`);
    }
    if (names.has(name))
      throw new CircuitSyntaxError(text, at, `a new element name ('${name}' is used twice)`);
    names.add(name);
    pos += name.length;
    const element = { kind: 'element' as const, name, def, paramStart: nParams };
    elements.push(element);
    nParams += def.params.length;
    return element;
  };

  const root = parseSeries();
  skipSpace();
  if (pos < text.length) throw new CircuitSyntaxError(text, pos, "'-', ',' or ')' or the end of the circuit");

  const parameterNames: string[] = [];
  const parameterUnits: string[] = [];
  const parameterKinds: ParamKind[] = [];
  for (const e of elements) {
    e.def.params.forEach((param, k) => {
      parameterNames.push(e.def.params.length === 1 ? e.name : `${e.name}_${k}`);
      parameterUnits.push(param.unit);
      parameterKinds.push(param.kind);
    });
  }
  return { text, root, elements, parameterNames, parameterUnits, parameterKinds };
}

/**
 * Evaluates a circuit and, on request, its Jacobian, without allocating per call: the fitter's hot path.
 * Build one per circuit and reuse it, with a FrequencyGrid (elements.ts) made once per set of
 * frequencies. Work goes node by node over all frequencies at once (each element fills its own Jacobian
 * columns, a parallel block rescales its children's in place), which keeps the inner loops short and
 * free of per-point tree walking.
 */
export class CircuitEvaluator {
  readonly nParams: number;
  /** Impedance of each inner node over the current grid, reused while the grid length stays the same. */
  private scratch = new Map<CircuitNode, { re: Float64Array; im: Float64Array }>();
  private scratchLength = -1;
  /** (Z / Z_c)^2 per frequency, for a parallel block's chain rule. */
  private factorRe = new Float64Array(0);
  private factorIm = new Float64Array(0);

  constructor(readonly circuit: Circuit) {
    this.nParams = circuit.parameterNames.length;
  }

  /**
   * Writes Z(omega[n]) into re[n], im[n]. With `jac`, also writes dRe/dp_k into jac[k*2N + n] and
   * dIm/dp_k into jac[k*2N + N + n] (column k of the stacked real-then-imaginary Jacobian). Angular
   * frequencies given as an array are made into a grid on every call; a hot loop passes the grid.
   */
  evaluate(
    params: ArrayLike<number>,
    omega: Float64Array | FrequencyGrid,
    re: Float64Array,
    im: Float64Array,
    jac?: Float64Array,
  ): void {
    this.evaluateNode(this.circuit.root, params, omega, re, im, jac);
  }

  /**
   * As evaluate, for one sub-circuit of this circuit (its parameters keep their global indices); with
   * `jac`, only the columns of that sub-circuit's parameters are written.
   */
  evaluateNode(
    node: CircuitNode,
    params: ArrayLike<number>,
    omega: Float64Array | FrequencyGrid,
    re: Float64Array,
    im: Float64Array,
    jac?: Float64Array,
  ): void {
    const grid = omega instanceof Float64Array ? frequencyGrid(omega) : omega;
    const n = grid.omega.length;
    if (n !== this.scratchLength) {
      this.scratch.clear();
      this.scratchLength = n;
      this.factorRe = new Float64Array(n);
      this.factorIm = new Float64Array(n);
    }
    this.node(node, params, grid, re, im, jac);
  }

  private buffers(node: CircuitNode): { re: Float64Array; im: Float64Array } {
    let b = this.scratch.get(node);
    if (!b) {
      b = { re: new Float64Array(this.scratchLength), im: new Float64Array(this.scratchLength) };
      this.scratch.set(node, b);
    }
    return b;
  }

  private node(
    node: CircuitNode,
    p: ArrayLike<number>,
    grid: FrequencyGrid,
    re: Float64Array,
    im: Float64Array,
    jac: Float64Array | undefined,
  ): void {
    if (node.kind === 'element') {
      node.def.evaluate(p, node.paramStart, grid, re, im, jac);
      return;
    }
    const n = grid.omega.length;
    const children = node.children;
    if (node.kind === 'series') {
      this.node(children[0]!, p, grid, re, im, jac);
      for (let c = 1; c < children.length; c++) {
        const b = this.buffers(children[c]!);
        this.node(children[c]!, p, grid, b.re, b.im, jac);
        const br = b.re;
        const bi = b.im;
        for (let i = 0; i < n; i++) {
          re[i]! += br[i]!;
          im[i]! += bi[i]!;
        }
      }
      return;
    }
    // Parallel: Y = sum 1/Z_c, Z = 1/Y, and dZ/dp = (Z / Z_c)^2 dZ_c/dp for p in child c.
    re.fill(0, 0, n);
    im.fill(0, 0, n);
    for (const child of children) {
      const b = this.buffers(child);
      this.node(child, p, grid, b.re, b.im, jac);
      const br = b.re;
      const bi = b.im;
      for (let i = 0; i < n; i++) {
        const d = br[i]! * br[i]! + bi[i]! * bi[i]!;
        re[i]! += br[i]! / d;
        im[i]! -= bi[i]! / d;
      }
    }
    for (let i = 0; i < n; i++) {
      const yd = re[i]! * re[i]! + im[i]! * im[i]!;
      re[i] = re[i]! / yd;
      im[i] = -im[i]! / yd;
    }
    if (!jac) return;
    const fr = this.factorRe;
    const fi = this.factorIm;
    const stride = 2 * n;
    for (const child of children) {
      const b = this.buffers(child);
      const br = b.re;
      const bi = b.im;
      for (let i = 0; i < n; i++) {
        // (Z / Z_c)^2
        const d = br[i]! * br[i]! + bi[i]! * bi[i]!;
        const qr = (re[i]! * br[i]! + im[i]! * bi[i]!) / d;
        const qi = (im[i]! * br[i]! - re[i]! * bi[i]!) / d;
        fr[i] = qr * qr - qi * qi;
        fi[i] = 2 * qr * qi;
      }
      const [start, end] = paramRange(child);
      for (let k = start; k < end; k++) {
        const col = k * stride;
        for (let i = 0; i < n; i++) {
          const dr = jac[col + i]!;
          const di = jac[col + n + i]!;
          jac[col + i] = dr * fr[i]! - di * fi[i]!;
          jac[col + n + i] = dr * fi[i]! + di * fr[i]!;
        }
      }
    }
  }
}

function paramRange(node: CircuitNode): [number, number] {
  return node.kind === 'element'
    ? [node.paramStart, node.paramStart + node.def.params.length]
    : [node.paramStart, node.paramEnd];
}

/** Angular frequencies 2 pi f. */
export function angularFrequencies(fHz: ArrayLike<number>): Float64Array {
  const omega = new Float64Array(fHz.length);
  for (let i = 0; i < fHz.length; i++) omega[i] = 2 * Math.PI * fHz[i]!;
  return omega;
}

/**
 * The circuit's impedance at each frequency, for parameters in `circuit.parameterNames` order.
 * Convenience for simulation and plotting; the fitter reuses one CircuitEvaluator instead.
 */
export function circuitImpedance(
  circuit: Circuit,
  params: ArrayLike<number>,
  fHz: ArrayLike<number>,
): { re: Float64Array; im: Float64Array } {
  if (params.length !== circuit.parameterNames.length) {
    throw new Error(
      `circuit '${circuit.text}' has ${circuit.parameterNames.length} parameters (${circuit.parameterNames.join(', ')}), got ${params.length}`,
    );
  }
  const re = new Float64Array(fHz.length);
  const im = new Float64Array(fHz.length);
  new CircuitEvaluator(circuit).evaluate(params, angularFrequencies(fHz), re, im);
  return { re, im };
}
