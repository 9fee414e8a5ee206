/** An MCP23017 as the I2C bus sees it: OLATA drives relay coils, GPIOB reads their auxiliary contacts. */
import type { RelayBankModel } from './models/relays';
import type { I2cSimDevice } from './tca9548a-sim';

export const MCP23017_ADDRESS = 0x20;

export class Mcp23017Sim implements I2cSimDevice {
  private readonly regs = new Uint8Array(0x16);
  private pointer = 0;

  constructor(private readonly relays: RelayBankModel) {
    this.regs[0x00] = 0xff; // IODIRA: inputs at power-on
    this.regs[0x01] = 0xff;
  }

  write(bytes: readonly number[]): void {
    const [reg, ...data] = bytes;
    if (reg === undefined) return;
    this.pointer = reg;
    for (const [i, b] of data.entries()) {
      const r = reg + i;
      if (r >= this.regs.length) continue;
      this.regs[r] = b & 0xff;
      if (r === 0x14 || r === 0x12 || r === 0x00) this.driveCoils();
    }
  }

  read(register: number | undefined, length: number): number[] {
    const reg = register ?? this.pointer;
    return Array.from({ length }, (_, i) => {
      const r = reg + i;
      if (r === 0x13) {
        let b = 0xff;
        for (let k = 0; k < 8 && k < this.relays.count; k++) if (this.relays.contact(k)) b &= ~(1 << k);
        return b;
      }
      return this.regs[r] ?? 0;
    });
  }

  /** Only pins configured as outputs drive a coil. */
  private driveCoils(): void {
    const outputs = ~this.regs[0x00]! & 0xff;
    const latch = this.regs[0x14]!;
    for (let k = 0; k < 8 && k < this.relays.count; k++)
      this.relays.setCoil(k, (outputs & latch & (1 << k)) !== 0);
  }
}
