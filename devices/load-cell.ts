/**
 * A stack load cell: NAU7802 behind a TCA9548A port, calibrated counts -> force -> stack pressure on
 * the die. One instance per cell channel; all share the rig's I2C bus.
 */
import type { Clock } from '../src/clock';
import type { ChannelConfig } from '../src/rig/config';
import { forceFromCounts, pressureMPaFromForce } from '../src/rig/load-cell';
import type { I2cBus } from './i2c-bus';
import { Nau7802 } from './nau7802';
import { selectMuxPort } from './tca9548a';

export type LoadCellReading = { ts: number; counts: number; forceN: number; pressureMPa: number };

export class StackLoadCell {
  private readonly adc: Nau7802;
  private initialised = false;

  constructor(
    private readonly bus: I2cBus,
    private readonly clock: Clock,
    private readonly config: Pick<ChannelConfig, 'channel' | 'muxPort' | 'dieDiameterMm' | 'calibration'>,
  ) {
    this.adc = new Nau7802({ label: `load cell ${config.channel} (mux port ${config.muxPort})` });
  }

  read(): Promise<LoadCellReading> {
    return this.bus.transaction(async (ops) => {
      await selectMuxPort(ops, this.config.muxPort);
      if (!this.initialised) {
        await this.adc.init(ops, this.clock);
        this.initialised = true;
      }
      const counts = await this.adc.readCounts(ops);
      const forceN = forceFromCounts(counts, this.config.calibration);
      return {
        ts: this.clock.now(),
        counts,
        forceN,
        pressureMPa: pressureMPaFromForce(forceN, this.config.dieDiameterMm),
      };
    });
  }

  /** Forgets the ADC's state, e.g. after a read failed, so the next read initialises it again. */
  reset(): void {
    this.initialised = false;
  }
}
