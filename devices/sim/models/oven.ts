/**
 * A small vacuum oven with the powder in it. Two thermal masses: the heater element, which lags the
 * command, and the chamber with its load, which loses heat to the room through a conductance that drops
 * when the chamber is pumped down (no convection left). The thermocouple sees the chamber through its own
 * first-order lag and reads through an amplifier with finite resolution. Faults are injected by name.
 */
import type { Random } from '../../../src/random';

export type OvenParams = {
  heaterPowerW: number;
  /** Heat capacity of the heater element, J/K, and its coupling to the chamber, W/K. */
  heaterCapacityJPerK: number;
  heaterCouplingWPerK: number;
  /** Chamber, shelf and load, J/K. */
  chamberCapacityJPerK: number;
  lossWPerKAir: number;
  lossWPerKVacuum: number;
  ambientC: number;
  sensorLagS: number;
  sensorNoiseC: number;
  /** Amplifier resolution, C (MCP9600: 0.0625). */
  sensorResolutionC: number;
  /** Pump-down time constant, s, and the pressure that counts as vacuum, mbar. */
  pumpDownTauS: number;
  vacuumOkMbar: number;
};

export const DEFAULT_OVEN: OvenParams = {
  heaterPowerW: 800,
  heaterCapacityJPerK: 200,
  heaterCouplingWPerK: 20,
  chamberCapacityJPerK: 2000,
  lossWPerKAir: 2.5,
  lossWPerKVacuum: 1.2,
  ambientC: 25,
  sensorLagS: 5,
  sensorNoiseC: 0.1,
  sensorResolutionC: 0.0625,
  pumpDownTauS: 60,
  vacuumOkMbar: 5,
};

export type OvenFault =
  | 'thermocouple-open'
  | 'sensor-disconnected'
  | 'reading-stuck'
  | 'heater-failed-on'
  | 'heater-failed-off'
  /** The chamber door seal leaks: the pump cannot hold a vacuum. */
  | 'vacuum-leak';

export type ThermocoupleReading = { tempC: number | null; fault: 'open' | 'short' | null };

const ATMOSPHERE_MBAR = 1013;

export class OvenModel {
  private heaterC: number;
  private chamberC: number;
  private sensorC: number;
  private pressureMbar = ATMOSPHERE_MBAR;
  private duty = 0;
  private enabled = false;
  private pumpOn = false;
  private timeS = 0;
  private readonly faults = new Set<OvenFault>();
  private stuckReading: number | undefined;

  constructor(
    private readonly params: OvenParams,
    private readonly random: Random,
    startC = params.ambientC,
  ) {
    this.heaterC = startC;
    this.chamberC = startC;
    this.sensorC = startC;
  }

  /** SSR duty averaged over its time-proportioning window (0..1), and the safety contactor. */
  setHeater(duty: number, enabled: boolean): void {
    this.duty = Math.max(0, Math.min(1, Number.isFinite(duty) ? duty : 0));
    this.enabled = enabled;
  }

  setVacuumPump(on: boolean): void {
    this.pumpOn = on;
  }

  inject(fault: OvenFault): void {
    if (fault === 'reading-stuck') this.stuckReading = this.readAmplifier();
    this.faults.add(fault);
  }

  clear(fault: OvenFault): void {
    this.faults.delete(fault);
  }

  hasFault(fault: OvenFault): boolean {
    return this.faults.has(fault);
  }

  get vacuumPumpOn(): boolean {
    return this.pumpOn;
  }

  /** True chamber temperature, C (what the powder sees). */
  get chamberTempC(): number {
    return this.chamberC;
  }

  get chamberPressureMbar(): number {
    return this.pressureMbar;
  }

  get vacuumOk(): boolean {
    return this.pressureMbar <= this.params.vacuumOkMbar;
  }

  /** Electrical power reaching the heater element, W: a welded SSR heats whatever the duty, unless the contactor is open. */
  get heaterPowerW(): number {
    if (!this.enabled || this.faults.has('heater-failed-off')) return 0;
    const duty = this.faults.has('heater-failed-on') ? 1 : this.duty;
    return duty * this.params.heaterPowerW;
  }

  readThermocouple(): ThermocoupleReading {
    if (this.faults.has('sensor-disconnected')) return { tempC: null, fault: null };
    if (this.faults.has('thermocouple-open')) return { tempC: null, fault: 'open' };
    if (this.faults.has('reading-stuck') && this.stuckReading !== undefined) {
      return { tempC: this.stuckReading, fault: null };
    }
    return { tempC: this.readAmplifier(), fault: null };
  }

  /** Integrates to `timeS` in steps short against the fastest lag. */
  advanceTo(timeS: number): void {
    const p = this.params;
    while (this.timeS < timeS) {
      const dt = Math.min(0.5, timeS - this.timeS);
      const lossWPerK =
        p.lossWPerKVacuum + (p.lossWPerKAir - p.lossWPerKVacuum) * (this.pressureMbar / ATMOSPHERE_MBAR);
      const toChamberW = p.heaterCouplingWPerK * (this.heaterC - this.chamberC);
      const toRoomW = lossWPerK * (this.chamberC - p.ambientC);
      this.heaterC += ((this.heaterPowerW - toChamberW) / p.heaterCapacityJPerK) * dt;
      this.chamberC += ((toChamberW - toRoomW) / p.chamberCapacityJPerK) * dt;
      this.sensorC += (this.chamberC - this.sensorC) * (1 - Math.exp(-dt / p.sensorLagS));
      const targetMbar = this.pumpOn && !this.faults.has('vacuum-leak') ? 0.5 : ATMOSPHERE_MBAR;
      // Venting is quick; pumping down follows the pump's time constant.
      const tauS = targetMbar < ATMOSPHERE_MBAR ? p.pumpDownTauS : 5;
      this.pressureMbar = targetMbar + (this.pressureMbar - targetMbar) * Math.exp(-dt / tauS);
      this.timeS += dt;
    }
  }

  private readAmplifier(): number {
    const raw = this.sensorC + this.params.sensorNoiseC * this.random.normal();
    return Math.round(raw / this.params.sensorResolutionC) * this.params.sensorResolutionC;
  }
}
