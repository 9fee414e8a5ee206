/**
 * Driver for the MCP23017 16-bit I2C port expander as the cell-channel relay board: port A drives the
 * relay coils (through a ULN2803 Darlington array), port B reads each relay's auxiliary contact, wired to
 * ground when closed, with the chip's pull-ups on. So the board can tell what the contacts did, not only
 * what the coils were told: a welded relay shows up.
 */
import type { RelayBank } from '../src/control/interlock';
import type { I2cBus } from './i2c-bus';

export const MCP23017_DEFAULT_ADDRESS = 0x20;
/** Register addresses in the power-on BANK = 0 layout. */
export const MCP23017_REG = { IODIRA: 0x00, IODIRB: 0x01, GPPUB: 0x0d, GPIOB: 0x13, OLATA: 0x14 } as const;

export class Mcp23017RelayBoard implements RelayBank {
  private initialised = false;

  constructor(
    private readonly bus: I2cBus,
    private readonly label = 'relay board',
    private readonly address = MCP23017_DEFAULT_ADDRESS,
    /** The raw IO plugin, for the one write that must not wait in the bus queue (shutdown). */
    private readonly rawIo?: { i2cWrite(address: number, bytes: number[]): unknown },
  ) {}

  /**
   * Releases every coil now, outside the bus queue: for shutdown, when the board may be closed right after.
   * A write to a chip that was never initialised is harmless (its port A is still an input).
   */
  releaseAllNow(): void {
    this.rawIo?.i2cWrite(this.address, [MCP23017_REG.OLATA, 0x00]);
  }

  setCoils(coils: readonly boolean[]): Promise<void> {
    let byte = 0;
    for (const [i, on] of coils.entries()) if (on && i < 8) byte |= 1 << i;
    return this.bus.transaction(async (ops) => {
      await this.init(ops);
      ops.write(this.address, [MCP23017_REG.OLATA, byte]);
    });
  }

  readContacts(): Promise<boolean[]> {
    return this.bus.transaction(async (ops) => {
      await this.init(ops);
      const [b = 0xff] = await ops.read(this.address, MCP23017_REG.GPIOB, 1, this.label);
      // Closed contacts pull their input low.
      return Array.from({ length: 8 }, (_, i) => (b & (1 << i)) === 0);
    });
  }

  reset(): void {
    this.initialised = false;
  }

  private async init(ops: Parameters<Parameters<I2cBus['transaction']>[0]>[0]): Promise<void> {
    if (this.initialised) return;
    // Latch all coils off before making port A outputs, so start-up never pulses a relay.
    ops.write(this.address, [MCP23017_REG.OLATA, 0x00]);
    ops.write(this.address, [MCP23017_REG.IODIRA, 0x00]);
    ops.write(this.address, [MCP23017_REG.IODIRB, 0xff]);
    ops.write(this.address, [MCP23017_REG.GPPUB, 0xff]);
    // Reading back IODIRA proves the chip is there and took the setting.
    const [dir] = await ops.read(this.address, MCP23017_REG.IODIRA, 1, this.label);
    if (dir !== 0x00)
      throw new Error(`${this.label}: MCP23017 IODIRA reads 0x${(dir ?? 0).toString(16)}, expected 0x00`);
    this.initialised = true;
  }
}
