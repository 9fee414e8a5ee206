/**
 * Lithium in a representative NMC811 particle: spherical diffusion on shells that get thinner toward
 * the surface (a filled surface skin is what ends the discharge), implicit in time so a step of minutes
 * is stable whatever the diffusivity. x is the lithium fraction (1 = fully lithiated).
 */

export type Diffusivity = (x: number) => number;

export class Particle {
  /** Lithium fraction per shell, centre first. */
  readonly x: Float64Array;
  /** Volume fraction per shell. */
  private readonly w: Float64Array;
  /** Face area over volume over centre distance, per face between shell i and i+1 (cm^-2). */
  private readonly g: Float64Array;
  /** (R - centre of the outer shell) * V / A_R: turns a surface flux into a surface offset. */
  private readonly surfaceLever: number;
  private readonly a: Float64Array;
  private readonly b: Float64Array;
  private readonly c: Float64Array;
  private readonly d: Float64Array;

  constructor(
    readonly radiusCm: number,
    shells: number,
    x0: number,
  ) {
    // Shell boundaries from centre (0) to surface (R), refined geometrically toward the surface.
    const beta = 5;
    const r = Array.from(
      { length: shells + 1 },
      (_, i) => radiusCm * (1 - (Math.exp(beta * (1 - i / shells)) - 1) / (Math.exp(beta) - 1)),
    );
    r[0] = 0;
    r[shells] = radiusCm;
    const vol = (i: number) => r[i + 1]! ** 3 - r[i]! ** 3;
    const total = radiusCm ** 3;
    const mid = (i: number) => (r[i]! + r[i + 1]!) / 2;
    this.x = new Float64Array(shells).fill(x0);
    this.w = Float64Array.from({ length: shells }, (_, i) => vol(i) / total);
    // Per unit total volume: A_face / V_total / (centre distance); V_total = R^3 / 3 per steradian.
    this.g = Float64Array.from({ length: shells - 1 }, (_, i) => {
      const area = r[i + 1]! ** 2;
      return (3 * area) / total / (mid(i + 1) - mid(i));
    });
    this.surfaceLever = ((radiusCm - mid(shells - 1)) * radiusCm) / 3;
    this.a = new Float64Array(shells);
    this.b = new Float64Array(shells);
    this.c = new Float64Array(shells);
    this.d = new Float64Array(shells);
  }

  /** Mean lithium fraction. */
  mean(): number {
    let s = 0;
    for (let i = 0; i < this.x.length; i++) s += this.w[i]! * this.x[i]!;
    return s;
  }

  /**
   * Surface lithium fraction under an extraction rate `rate` (fraction of the particle's sites per
   * second, > 0 while charging): the outer shell's value less the gradient the flux needs.
   */
  surface(rate: number, diffusivity: Diffusivity): number {
    const outer = this.x[this.x.length - 1]!;
    return clampX(outer - (rate * this.surfaceLever) / diffusivity(outer));
  }

  /** Advances by dtS under extraction rate `rate` (1/s), implicit Euler, diffusivity at the old state. */
  step(rate: number, dtS: number, diffusivity: Diffusivity): void {
    const n = this.x.length;
    const { a, b, c, d, x, w, g } = this;
    for (let i = 0; i < n; i++) {
      a[i] = 0;
      c[i] = 0;
      b[i] = w[i]! / dtS;
      d[i] = (w[i]! * x[i]!) / dtS;
    }
    for (let i = 0; i < n - 1; i++) {
      const k = g[i]! * diffusivity((x[i]! + x[i + 1]!) / 2);
      b[i] = b[i]! + k;
      b[i + 1] = b[i + 1]! + k;
      c[i] = -k;
      a[i + 1] = -k;
    }
    d[n - 1] = d[n - 1]! - rate;
    // Thomas algorithm.
    for (let i = 1; i < n; i++) {
      const m = a[i]! / b[i - 1]!;
      b[i] = b[i]! - m * c[i - 1]!;
      d[i] = d[i]! - m * d[i - 1]!;
    }
    x[n - 1] = d[n - 1]! / b[n - 1]!;
    for (let i = n - 2; i >= 0; i--) x[i] = (d[i]! - c[i]! * x[i + 1]!) / b[i]!;
    for (let i = 0; i < n; i++) x[i] = clampX(x[i]!);
  }

  restore(s: Float64Array): void {
    this.x.set(s);
  }
}

function clampX(x: number): number {
  return Math.min(1 - 1e-6, Math.max(1e-4, x));
}
