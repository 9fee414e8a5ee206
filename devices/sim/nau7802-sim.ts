/**
 * A NAU7802 24-bit bridge ADC as the I2C bus sees it: its registers, its power-up handshake, and
 * conversions of a bridge voltage that comes from a physics model.
 */
export const NAU7802_ADDRESS = 0x2a;
export const REG = { PU_CTRL: 0x00, CTRL1: 0x01, CTRL2: 0x02, ADCO_B2: 0x12, REVISION: 0x1f } as const;
export const PU = { RR: 0x01, PUD: 0x02, PUA: 0x04, PUR: 0x08, CS: 0x10, CR: 0x20 } as const;
const RATES_SPS = [10, 20, 40, 80, 80, 80, 80, 320];

export class Nau7802Sim {
  private readonly regs = new Uint8Array(0x20);
  private lastReadS = Number.NEGATIVE_INFINITY;
  private pointer = 0;

  /**
   * @param countsAt reads the ADC's input at a time (s) and returns the ideal counts at gain 128;
   *   the chip scales them with its own gain setting.
   */
  constructor(
    private readonly countsAt: (timeS: number) => number,
    private readonly nowS: () => number,
  ) {
    this.reset();
  }

  private reset(): void {
    this.regs.fill(0);
    this.regs[REG.REVISION] = 0x0f;
  }

  private get ready(): boolean {
    const pu = this.regs[REG.PU_CTRL]!;
    return (pu & PU.PUD) !== 0 && (pu & PU.PUA) !== 0;
  }

  private get rateSps(): number {
    return RATES_SPS[(this.regs[REG.CTRL2]! >> 4) & 0x7] ?? 10;
  }

  write(bytes: readonly number[]): void {
    const [reg, ...data] = bytes;
    if (reg === undefined) return;
    this.pointer = reg;
    for (const [i, b] of data.entries()) this.writeReg(reg + i, b);
  }

  private writeReg(reg: number, value: number): void {
    if (reg === REG.PU_CTRL) {
      if (value & PU.RR) {
        this.reset();
        this.regs[REG.PU_CTRL] = PU.RR;
        return;
      }
      // PUR follows the digital power-up; CR is read-only.
      const pur = value & PU.PUD ? PU.PUR : 0;
      this.regs[REG.PU_CTRL] = (value & ~(PU.PUR | PU.CR)) | pur;
      return;
    }
    if (reg < this.regs.length && reg !== REG.REVISION) this.regs[reg] = value & 0xff;
  }

  read(register: number | undefined, length: number): number[] {
    const start = register ?? this.pointer;
    const out: number[] = [];
    const nowS = this.nowS();
    if (start === REG.ADCO_B2 && this.ready) {
      const gain = 1 << (this.regs[REG.CTRL1]! & 0x7);
      const counts = Math.round((this.countsAt(nowS) * gain) / 128);
      const clamped = Math.max(-(2 ** 23), Math.min(2 ** 23 - 1, counts));
      const u = clamped < 0 ? clamped + 2 ** 24 : clamped;
      this.regs[REG.ADCO_B2] = (u >> 16) & 0xff;
      this.regs[REG.ADCO_B2 + 1] = (u >> 8) & 0xff;
      this.regs[REG.ADCO_B2 + 2] = u & 0xff;
      this.lastReadS = nowS;
    }
    if (start === REG.PU_CTRL) {
      const cr = this.ready && this.regs[REG.PU_CTRL]! & PU.CS && nowS - this.lastReadS >= 1 / this.rateSps;
      this.regs[REG.PU_CTRL] = (this.regs[REG.PU_CTRL]! & ~PU.CR) | (cr ? PU.CR : 0);
    }
    for (let i = 0; i < length; i++) out.push(this.regs[(start + i) % this.regs.length]!);
    return out;
  }
}
