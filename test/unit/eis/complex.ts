/** A plain complex number for writing closed forms in tests, independent of the hand-unrolled src code. */
export class Cx {
  constructor(
    readonly re: number,
    readonly im = 0,
  ) {}
  static of(x: number | Cx): Cx {
    return typeof x === 'number' ? new Cx(x) : x;
  }
  add(o: number | Cx): Cx {
    const b = Cx.of(o);
    return new Cx(this.re + b.re, this.im + b.im);
  }
  sub(o: number | Cx): Cx {
    const b = Cx.of(o);
    return new Cx(this.re - b.re, this.im - b.im);
  }
  mul(o: number | Cx): Cx {
    const b = Cx.of(o);
    return new Cx(this.re * b.re - this.im * b.im, this.re * b.im + this.im * b.re);
  }
  div(o: number | Cx): Cx {
    const b = Cx.of(o);
    const d = b.re * b.re + b.im * b.im;
    return new Cx((this.re * b.re + this.im * b.im) / d, (this.im * b.re - this.re * b.im) / d);
  }
  inv(): Cx {
    return new Cx(1).div(this);
  }
  abs(): number {
    return Math.hypot(this.re, this.im);
  }
  arg(): number {
    return Math.atan2(this.im, this.re);
  }
  /** Principal power via polar form. */
  pow(a: number): Cx {
    const r = this.abs() ** a;
    const t = this.arg() * a;
    return new Cx(r * Math.cos(t), r * Math.sin(t));
  }
  sqrt(): Cx {
    return this.pow(0.5);
  }
  cosh(): Cx {
    return new Cx(Math.cosh(this.re) * Math.cos(this.im), Math.sinh(this.re) * Math.sin(this.im));
  }
  sinh(): Cx {
    return new Cx(Math.sinh(this.re) * Math.cos(this.im), Math.cosh(this.re) * Math.sin(this.im));
  }
  /** tanh(a + ib) = (sinh 2a + i sin 2b) / (cosh 2a + cos 2b); beyond |a| = 20 it is sign(a) to 1e-17. */
  tanh(): Cx {
    if (Math.abs(this.re) > 20) return new Cx(Math.sign(this.re));
    const d = Math.cosh(2 * this.re) + Math.cos(2 * this.im);
    return new Cx(Math.sinh(2 * this.re) / d, Math.sin(2 * this.im) / d);
  }
  coth(): Cx {
    return this.tanh().inv();
  }
}

export const J = new Cx(0, 1);

export function relativeError(re: number, im: number, ref: Cx): number {
  return Math.hypot(re - ref.re, im - ref.im) / ref.abs();
}
