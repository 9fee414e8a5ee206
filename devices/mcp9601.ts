/**
 * Driver for the MCP9601 thermocouple EMF-to-temperature converter (the MCP9600 with open- and
 * short-circuit detection). Chosen over the MAX31855 because it is on I2C, which Firmata, the Linux
 * i2c-dev bus and the simulator all carry the same way (Firmata has no SPI), and because it reports open
 * and shorted thermocouples as status bits: a broken junction becomes a fault, never a plausible reading.
 */
import type { I2cBus } from './i2c-bus';

export const MCP9601_DEFAULT_ADDRESS = 0x67;
const REG = {
  HOT_JUNCTION: 0x00,
  STATUS: 0x04,
  SENSOR_CONFIG: 0x05,
  DEVICE_CONFIG: 0x06,
  DEVICE_ID: 0x20,
} as const;
export const MCP9601_STATUS = { OPEN: 0x10, SHORT: 0x20 } as const;
const TYPE_K = 0x00;
const FILTER_OFF = 0x00;
export const MCP9601_DEVICE_ID = 0x41;

export type ThermocoupleReading = { tempC: number | null; fault: 'open' | 'short' | null };

export class Mcp9601 {
  private initialised = false;

  constructor(
    private readonly bus: I2cBus,
    private readonly label = 'thermocouple',
    private readonly address = MCP9601_DEFAULT_ADDRESS,
  ) {}

  /** One reading: the hot-junction temperature, or the fault the status register reports. */
  read(): Promise<ThermocoupleReading> {
    return this.bus.transaction(async (ops) => {
      if (!this.initialised) {
        const [id] = await ops.read(this.address, REG.DEVICE_ID, 1, this.label);
        if (id !== MCP9601_DEVICE_ID)
          throw new Error(`${this.label}: device id 0x${(id ?? 0).toString(16)} is not an MCP9601`);
        ops.write(this.address, [REG.SENSOR_CONFIG, TYPE_K | FILTER_OFF]);
        ops.write(this.address, [REG.DEVICE_CONFIG, 0x00]); // 0.0625 C cold junction, 18-bit ADC, continuous
        this.initialised = true;
      }
      const [status = 0] = await ops.read(this.address, REG.STATUS, 1, this.label);
      if (status & MCP9601_STATUS.OPEN) return { tempC: null, fault: 'open' };
      if (status & MCP9601_STATUS.SHORT) return { tempC: null, fault: 'short' };
      const [hi = 0, lo = 0] = await ops.read(this.address, REG.HOT_JUNCTION, 2, this.label);
      const raw = (hi << 8) | lo;
      const signed = raw & 0x8000 ? raw - 0x10000 : raw;
      return { tempC: signed * 0.0625, fault: null };
    });
  }

  reset(): void {
    this.initialised = false;
  }
}
