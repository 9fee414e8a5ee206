/**
 * Driver for the NAU7802 24-bit bridge ADC. Chosen over the HX711 because it speaks I2C, which works
 * the same over Firmata, the Linux i2c-dev bus and the simulator (the HX711's bit-banged clock does not
 * survive Firmata's latency), and over the ADS1115 because its PGA reaches 128x: a 2 mV/V load cell
 * needs it to use the converter's range.
 */
import type { Clock } from '../src/clock';
import type { I2cOps } from './i2c-bus';

export const NAU7802_DEFAULT_ADDRESS = 0x2a;
const REG = { PU_CTRL: 0x00, CTRL1: 0x01, CTRL2: 0x02, ADCO_B2: 0x12 } as const;
const PU = { RR: 0x01, PUD: 0x02, PUA: 0x04, PUR: 0x08, CS: 0x10, CR: 0x20 } as const;
const GAIN_128 = 0x07;
const RATE_10SPS = 0x00;

export type Nau7802Options = { address?: number; label: string };

export class Nau7802 {
  private readonly address: number;

  constructor(private readonly options: Nau7802Options) {
    this.address = options.address ?? NAU7802_DEFAULT_ADDRESS;
  }

  /** Reset, power up, wait for PUR, set gain 128 and 10 samples/s, start conversions. */
  async init(bus: I2cOps, clock: Clock): Promise<void> {
    bus.write(this.address, [REG.PU_CTRL, PU.RR]);
    bus.write(this.address, [REG.PU_CTRL, PU.PUD]);
    for (let attempt = 0; ; attempt++) {
      const [pu = 0] = await bus.read(this.address, REG.PU_CTRL, 1, this.options.label);
      if (pu & PU.PUR) break;
      if (attempt >= 10) throw new Error(`${this.options.label}: NAU7802 did not power up`);
      await clock.sleep(1);
    }
    bus.write(this.address, [REG.PU_CTRL, PU.PUD | PU.PUA]);
    bus.write(this.address, [REG.CTRL1, GAIN_128]);
    bus.write(this.address, [REG.CTRL2, RATE_10SPS]);
    bus.write(this.address, [REG.PU_CTRL, PU.PUD | PU.PUA | PU.CS]);
  }

  /** The latest conversion as a signed 24-bit count. */
  async readCounts(bus: I2cOps): Promise<number> {
    const bytes = await bus.read(this.address, REG.ADCO_B2, 3, this.options.label);
    if (bytes.length !== 3) throw new Error(`${this.options.label}: expected 3 bytes, got ${bytes.length}`);
    const [b2 = 0, b1 = 0, b0 = 0] = bytes;
    const u = (b2 << 16) | (b1 << 8) | b0;
    return u & 0x800000 ? u - 0x1000000 : u;
  }
}
