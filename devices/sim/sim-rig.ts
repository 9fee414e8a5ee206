/**
 * The simulated rig as a whole: an I2C multiplexer with one load-cell ADC per cell channel, each under
 * a press and cell stack, preloaded to 150 MPa on a 10 mm die. Time comes from the shared clock.
 */
import type { Clock } from '../../src/clock';
import { seededRandom } from '../../src/random';
import { DEFAULT_LOAD_CELL } from '../../src/rig/config';
import { countsFromForce, forceNFromPressure } from '../../src/rig/load-cell';
import { DEFAULT_PRESS, PressModel } from './models/press';
import { NAU7802_ADDRESS, Nau7802Sim } from './nau7802-sim';
import type { SimWorld } from './sim-io';
import { TCA9548A_ADDRESS, Tca9548aSim } from './tca9548a-sim';

export type SimRigOptions = {
  seed: number;
  /** Mux ports with a load cell and a press behind them. */
  loadCellPorts?: number[];
  preloadMPa?: number;
  dieDiameterMm?: number;
};

export class SimRig implements SimWorld {
  readonly presses = new Map<number, PressModel>();
  private readonly mux = new Tca9548aSim();
  private readonly digital = new Map<number, 0 | 1>();
  private readonly startMs: number;

  constructor(
    private readonly clock: Clock,
    options: SimRigOptions,
  ) {
    this.startMs = clock.now();
    const ports = options.loadCellPorts ?? [0, 1, 2];
    const preloadN = forceNFromPressure(options.preloadMPa ?? 150, options.dieDiameterMm ?? 10);
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
          press.advanceTo(tS);
          return countsFromForce(press.measuredForceN(), DEFAULT_LOAD_CELL);
        },
        () => this.timeS(),
      );
      this.mux.attach(port, NAU7802_ADDRESS, adc);
    }
  }

  /** Fault injection: the load cell behind `port` stops answering, as if its cable were pulled. */
  detachLoadCell(port: number): void {
    this.mux.detach(port, NAU7802_ADDRESS);
  }

  /** Seconds since the simulated rig was switched on. */
  timeS(): number {
    return (this.clock.now() - this.startMs) / 1000;
  }

  i2cDevice(address: number) {
    return address === TCA9548A_ADDRESS ? this.mux : this.mux.downstream(address);
  }

  digitalWrite(pin: number, value: 0 | 1): void {
    this.digital.set(pin, value);
  }

  digitalRead(pin: number): 0 | 1 {
    return this.digital.get(pin) ?? 0;
  }

  analogRead(_pin: number): number {
    return 0;
  }
}
