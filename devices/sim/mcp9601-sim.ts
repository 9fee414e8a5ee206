/** An MCP9601 as the I2C bus sees it: status and hot-junction registers answered from the oven model. */
import type { ThermocoupleReading } from '../../devices/mcp9601';
import type { I2cSimDevice } from './tca9548a-sim';

export const MCP9601_ADDRESS = 0x67;

export class Mcp9601Sim implements I2cSimDevice {
  private pointer = 0;
  private readonly config = new Uint8Array(0x21);

  constructor(private readonly sense: () => ThermocoupleReading) {
    this.config[0x20] = 0x41; // device id
  }

  write(bytes: readonly number[]): void {
    const [reg, ...data] = bytes;
    if (reg === undefined) return;
    this.pointer = reg;
    for (const [i, b] of data.entries()) if (reg + i < 0x20) this.config[reg + i] = b & 0xff;
  }

  read(register: number | undefined, length: number): number[] {
    const reg = register ?? this.pointer;
    if (reg === 0x04) {
      const r = this.sense();
      return [r.fault === 'open' ? 0x10 : r.fault === 'short' ? 0x20 : 0x40];
    }
    if (reg === 0x00) {
      const r = this.sense();
      const counts = Math.round((r.tempC ?? 0) / 0.0625);
      const u = counts < 0 ? counts + 0x10000 : counts;
      return [(u >> 8) & 0xff, u & 0xff].slice(0, length);
    }
    return Array.from({ length }, (_, i) => this.config[reg + i] ?? 0);
  }
}
