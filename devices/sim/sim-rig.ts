/**
 * The simulated rig as a whole: an I2C multiplexer with one load-cell ADC per cell channel, each under
 * a press and cell stack, preloaded to 150 MPa on a 10 mm die; the press pumps and release valves on
 * digital pins; a vacuum oven with its thermocouple converter (MCP9601), heater SSR, safety contactor and
 * vacuum pump; and the cell-channel relay board (MCP23017). Time comes from the shared clock.
 */
import type { Clock } from '../../src/clock';
import { seededRandom } from '../../src/random';
import { DEFAULT_LOAD_CELL } from '../../src/rig/config';
import { countsFromForce, forceNFromPressure } from '../../src/rig/load-cell';
import { MCP9601_ADDRESS, Mcp9601Sim } from './mcp9601-sim';
import { MCP23017_ADDRESS, Mcp23017Sim } from './mcp23017-sim';
import { DEFAULT_OVEN, type OvenFault, OvenModel } from './models/oven';
import { DEFAULT_PRESS, PressModel } from './models/press';
import { DEFAULT_RELAYS, RelayBankModel, type RelayFault } from './models/relays';
import { NAU7802_ADDRESS, Nau7802Sim } from './nau7802-sim';
import type { SimWorld } from './sim-io';
import { TCA9548A_ADDRESS, Tca9548aSim } from './tca9548a-sim';
import type { WatchdogRelay } from './watchdog-relay';

/** Pin numbers of the simulated rig (the README's wiring table uses the same on the real one). */
export const SIM_PINS = {
  heaterSsr: 16,
  heaterContactor: 20,
  vacuumPump: 21,
  /** Vacuum switch input: closed (1) below 5 mbar in the chamber. */
  vacuumSwitch: 24,
  /** Heartbeat to the hardware watchdog: toggles while every control loop is healthy. */
  heartbeat: 22,
  /** Press pump and release valve per mux port (cell channel). */
  press: { 0: { pump: 5, valve: 6 }, 1: { pump: 12, valve: 13 }, 2: { pump: 19, valve: 23 } } as Record<
    number,
    { pump: number; valve: number }
  >,
} as const;

/** The die the simulated stacks are pressed in, mm. */
export const SIM_DIE_DIAMETER_MM = 10;
/** Mux ports of the simulated rig's board (openRigHardware) that have a load cell behind them. */
export const SIM_LOAD_CELL_PORTS = [0, 1, 2, 3, 4, 5, 6, 7];

/**
 * One channel of the simulated rig as it was built, which is what its installation record is seeded with:
 * every simulated load cell reads with DEFAULT_LOAD_CELL, every stack sits in a 10 mm die, and ports 0 to 2
 * have a press on SIM_PINS. Undefined for a port without a load cell.
 */
export function simChannelAsBuilt(muxPort: number):
  | {
      muxPort: number;
      dieDiameterMm: number;
      pumpPin?: number;
      valvePin?: number;
      calibration: { zeroCounts: number; countsPerN: number };
    }
  | undefined {
  if (!SIM_LOAD_CELL_PORTS.includes(muxPort)) return undefined;
  const press = SIM_PINS.press[muxPort];
  return {
    muxPort,
    dieDiameterMm: SIM_DIE_DIAMETER_MM,
    ...(press ? { pumpPin: press.pump, valvePin: press.valve } : {}),
    calibration: { ...DEFAULT_LOAD_CELL },
  };
}

export type SimRigOptions = {
  seed: number;
  /** Mux ports with a load cell and a press behind them. */
  loadCellPorts?: number[];
  preloadMPa?: number;
  dieDiameterMm?: number;
};

export type SimFault =
  | { device: 'oven'; fault: OvenFault }
  | { device: 'relay'; relay: number; fault: RelayFault }
  | { device: 'press'; port: number; fault: PressSimFault };

/**
 * Press and load-cell faults and operator actions: a seized actuator, an ADC frozen at its last conversion,
 * the stack pushed harder from outside or slipping (0.05 mm: about 38 MPa on a 10 mm die), the operator
 * opening the manual release, and `clear` to undo a stall or a frozen ADC.
 */
export type PressSimFault =
  | 'actuator-stalled'
  | 'load-cell-stuck'
  | 'outside-push'
  | 'stack-slip'
  | 'released-by-hand'
  | 'clear';

export class SimRig implements SimWorld {
  readonly presses = new Map<number, PressModel>();
  readonly oven: OvenModel;
  readonly relays: RelayBankModel;
  private readonly mux = new Tca9548aSim();
  private readonly mainBus = new Map<number, Mcp9601Sim | Mcp23017Sim>();
  private readonly digital = new Map<number, 0 | 1>();
  private readonly digitalListeners: ((pin: number, value: 0 | 1) => void)[] = [];
  private vacuumSwitch: 0 | 1 = 0;
  private readonly stuckCounts = new Map<number, number>();
  private readonly lastCounts = new Map<number, number>();
  private readonly loadCells = new Map<number, Nau7802Sim>();
  private readonly startMs: number;
  private watchdog: { pin: number; relay: WatchdogRelay } | undefined;
  /** The watchdog relay's state as the physics last saw it (closed when there is no watchdog). */
  private relayApplied = true;
  /** The oven's own time, s: the rig's clock unless a controller runs it on a faster one. */
  private ovenTimeS: () => number = () => this.timeS();

  constructor(
    private readonly clock: Clock,
    options: SimRigOptions,
  ) {
    this.startMs = clock.now();
    const ports = options.loadCellPorts ?? [0, 1, 2];
    const preloadN = forceNFromPressure(
      options.preloadMPa ?? 150,
      options.dieDiameterMm ?? SIM_DIE_DIAMETER_MM,
    );
    const ambientTempC = () => 25 + 1.5 * Math.sin((2 * Math.PI * this.timeS()) / 86_400);
    for (const port of ports) {
      // Each channel gets its own noise stream, so adding a channel does not change the others.
      const press = new PressModel(
        DEFAULT_PRESS,
        seededRandom(options.seed * 1000 + port),
        preloadN,
        ambientTempC,
      );
      this.presses.set(port, press);
      const adc = new Nau7802Sim(
        (tS) => {
          this.syncWatchdog();
          press.advanceTo(tS);
          const stuck = this.stuckCounts.get(port);
          if (stuck !== undefined) return stuck;
          const counts = countsFromForce(press.measuredForceN(), DEFAULT_LOAD_CELL);
          this.lastCounts.set(port, counts);
          return counts;
        },
        () => this.timeS(),
      );
      this.mux.attach(port, NAU7802_ADDRESS, adc);
      this.loadCells.set(port, adc);
    }
    this.oven = new OvenModel(DEFAULT_OVEN, seededRandom(options.seed * 1000 + 100));
    this.mainBus.set(
      MCP9601_ADDRESS,
      new Mcp9601Sim(() => {
        this.advanceOven();
        return this.oven.readThermocouple();
      }),
    );
    this.relays = new RelayBankModel(() => this.clock.now(), DEFAULT_RELAYS);
    this.mainBus.set(MCP23017_ADDRESS, new Mcp23017Sim(this.relays));
  }

  /**
   * Wires a hardware watchdog: edges on `pin` retrigger it, and its relay sits in series with the heater
   * SSR's control line and every press pump. The relay may change off the main thread (a worker watching a
   * blocked event loop): the physics catches up with it, at the time it changed, whenever it next runs.
   */
  attachWatchdog(pin: number, relay: WatchdogRelay): void {
    this.watchdog = { pin, relay };
    this.syncWatchdog(true);
  }

  /** Power reaches the heater SSR and the press pumps (the watchdog relay is closed, or there is none). */
  get outputsPowered(): boolean {
    this.syncWatchdog();
    return this.relayApplied;
  }

  /** Brings the physics up to the watchdog relay's last change and applies it. */
  private syncWatchdog(force = false): void {
    const w = this.watchdog;
    if (!w) return;
    const closed = w.relay.closed;
    if (closed === this.relayApplied && !force) return;
    const atMs = Math.min(this.clock.now(), w.relay.changedAtMs);
    const behindS = (this.clock.now() - atMs) / 1000;
    for (const press of this.presses.values()) press.advanceTo(this.timeS() - behindS);
    this.oven.advanceTo(this.ovenTimeS() - behindS);
    this.relayApplied = closed;
    this.applyOven();
    for (const port of this.presses.keys()) this.applyPress(port);
  }

  private on(pin: number): boolean {
    return this.digital.get(pin) === 1;
  }

  private applyOven(): void {
    this.oven.setHeater(
      this.on(SIM_PINS.heaterSsr) && this.relayApplied ? 1 : 0,
      this.on(SIM_PINS.heaterContactor),
    );
    this.oven.setVacuumPump(this.on(SIM_PINS.vacuumPump));
  }

  private applyPress(port: number): void {
    const pins = SIM_PINS.press[port];
    const press = this.presses.get(port);
    if (!pins || !press) return;
    const direction = (this.on(pins.pump) && this.relayApplied ? 1 : 0) - (this.on(pins.valve) ? 1 : 0);
    press.setActuatorVelocity(direction * DEFAULT_PRESS.maxActuatorSpeedMmPerS);
  }

  /** Fault injection: the load cell behind `port` stops answering, as if its cable were pulled. */
  detachLoadCell(port: number): void {
    this.mux.detach(port, NAU7802_ADDRESS);
  }

  /** The cable plugged back in (the ADC has lost its settings, as after a power cycle). */
  reattachLoadCell(port: number): void {
    const adc = this.loadCells.get(port);
    if (adc) this.mux.attach(port, NAU7802_ADDRESS, adc);
  }

  inject(f: SimFault): void {
    this.syncWatchdog();
    if (f.device === 'oven') {
      this.advanceOven();
      this.oven.inject(f.fault);
    } else if (f.device === 'relay') this.relays.inject(f.relay, f.fault);
    else {
      const press = this.presses.get(f.port);
      if (!press) return;
      press.advanceTo(this.timeS());
      if (f.fault === 'actuator-stalled') press.stalled = true;
      else if (f.fault === 'load-cell-stuck')
        this.stuckCounts.set(
          f.port,
          this.lastCounts.get(f.port) ?? countsFromForce(press.forceN, DEFAULT_LOAD_CELL),
        );
      else if (f.fault === 'outside-push') press.displace(0.05);
      else if (f.fault === 'stack-slip') press.displace(-0.05);
      else if (f.fault === 'released-by-hand') press.retract();
      else {
        press.stalled = false;
        this.stuckCounts.delete(f.port);
      }
    }
  }

  /**
   * Runs the oven's physics on `clock` from now on (a SteppedClock for a profile watched in minutes), the
   * clock its controller runs on. The oven's time carries on from where it is, whatever that clock reads.
   */
  runOvenOn(clock: Clock): void {
    this.advanceOven();
    const fromS = this.ovenTimeS();
    const clockStartMs = clock.now();
    this.ovenTimeS = () => fromS + (clock.now() - clockStartMs) / 1000;
  }

  /** Seconds since the simulated rig was switched on. */
  timeS(): number {
    return (this.clock.now() - this.startMs) / 1000;
  }

  i2cDevice(address: number) {
    if (address === TCA9548A_ADDRESS) return this.mux;
    if (address === MCP9601_ADDRESS && this.oven.hasFault('sensor-disconnected')) return undefined;
    return this.mainBus.get(address) ?? this.mux.downstream(address);
  }

  digitalWrite(pin: number, value: 0 | 1): void {
    this.syncWatchdog();
    const changed = this.digital.get(pin) !== value;
    this.digital.set(pin, value);
    if (this.watchdog && pin === this.watchdog.pin) {
      if (changed) this.watchdog.relay.pulse();
      // The edge may close the relay at once.
      this.syncWatchdog();
      return;
    }
    if (pin === SIM_PINS.heaterSsr || pin === SIM_PINS.heaterContactor || pin === SIM_PINS.vacuumPump) {
      // Integrate up to the switching instant before the input changes.
      this.advanceOven();
      this.applyOven();
      return;
    }
    for (const [port, pins] of Object.entries(SIM_PINS.press)) {
      if (pin !== pins.pump && pin !== pins.valve) continue;
      const press = this.presses.get(Number(port));
      if (!press) return;
      press.advanceTo(this.timeS());
      this.applyPress(Number(port));
      return;
    }
  }

  digitalRead(pin: number): 0 | 1 {
    if (pin === SIM_PINS.vacuumSwitch) {
      this.advanceOven();
      return this.vacuumSwitch;
    }
    return this.digital.get(pin) ?? 0;
  }

  onDigitalChange(listener: (pin: number, value: 0 | 1) => void): void {
    this.digitalListeners.push(listener);
  }

  /** Brings the oven to now and reports the vacuum switch if it changed on the way. */
  advanceOven(): void {
    this.syncWatchdog();
    this.oven.advanceTo(this.ovenTimeS());
    const v = this.oven.vacuumOk ? 1 : 0;
    if (v !== this.vacuumSwitch) {
      this.vacuumSwitch = v;
      for (const l of this.digitalListeners) l(SIM_PINS.vacuumSwitch, v);
    }
  }

  analogRead(_pin: number): number {
    return 0;
  }
}
