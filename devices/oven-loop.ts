/**
 * The drying oven's loop, once per control period: read the thermocouple, step the profile programmer,
 * and drive the heater (SSR and contactor) and the vacuum pump from its output. A converter that does not
 * answer counts as a lost reading, so the programmer's guard cuts the heater in that same period.
 */
import type { Clock } from '../src/clock';
import type { ProfileProgrammer, ProgrammerOutput } from '../src/control/profile';
import { type DigitalIo, SwitchedOutput } from './digital-out';
import { HeaterSsr } from './heater-ssr';
import { DeviceNotAvailableError, type I2cBus } from './i2c-bus';
import { Mcp9601, type ThermocoupleReading } from './mcp9601';

export type OvenPins = { ssr: number; contactor: number; vacuumPump: number; vacuumSwitch: number };

export type OvenLoopSample = {
  ts: number;
  reading: ThermocoupleReading;
  unavailable: boolean;
  vacuumOk: boolean;
  out: ProgrammerOutput;
};

type DigitalIn = DigitalIo & {
  digitalRead(pin: number, cb: (value: number) => void): unknown;
  MODES: { INPUT: number };
};

export class OvenLoop {
  private readonly tc: Mcp9601;
  private readonly heater: HeaterSsr;
  private readonly pump: SwitchedOutput;
  private vacuumSwitch = false;

  constructor(
    bus: I2cBus,
    io: DigitalIn,
    private readonly clock: Clock,
    private readonly programmer: ProfileProgrammer,
    pins: OvenPins,
    windowMs = 2000,
  ) {
    this.tc = new Mcp9601(bus, 'oven thermocouple');
    this.heater = new HeaterSsr(io, clock, { ssrPin: pins.ssr, contactorPin: pins.contactor, windowMs });
    this.pump = new SwitchedOutput(io, pins.vacuumPump);
    io.pinMode(pins.vacuumSwitch, io.MODES.INPUT);
    // Boards report a digital input on every change; keep the latest.
    io.digitalRead(pins.vacuumSwitch, (v) => {
      this.vacuumSwitch = v === 1;
    });
  }

  async sample(): Promise<OvenLoopSample> {
    let reading: ThermocoupleReading = { tempC: null, fault: null };
    let unavailable = false;
    try {
      reading = await this.tc.read();
    } catch (err) {
      this.tc.reset();
      unavailable = err instanceof DeviceNotAvailableError;
    }
    const ts = this.clock.now();
    const out = this.programmer.step({
      timeS: ts / 1000,
      tempC: reading.tempC,
      sensorFault: reading.fault,
      vacuumOk: this.vacuumSwitch,
    });
    this.heater.set(out.heaterDuty, out.heaterEnabled);
    this.pump.set(out.vacuumOn);
    return { ts, reading, unavailable, vacuumOk: this.vacuumSwitch, out };
  }

  /** Safe state: heater SSR off, contactor open, vacuum pump off. */
  off(): void {
    this.heater.off();
    this.pump.set(false);
  }

  get heaterState() {
    return this.heater.state;
  }
}
