/**
 * A johnny-five IO plugin whose pins and I2C devices are answered by physics models instead of
 * hardware. The drivers cannot tell the difference: only the IO plugin changes between the simulated
 * rig and the real one.
 */
import { EventEmitter } from 'node:events';
import type { I2cSimDevice } from './tca9548a-sim';

export type SimWorld = {
  /** The device answering an I2C address on the main bus (through any multiplexer), if any. */
  i2cDevice(address: number): I2cSimDevice | undefined;
  digitalWrite(pin: number, value: 0 | 1): void;
  digitalRead(pin: number): 0 | 1;
  /** 0..1 of the ADC's full scale. */
  analogRead(pin: number): number;
  /** Lets the IO plugin report digital inputs that change by themselves (a vacuum switch), as a board does. */
  onDigitalChange?(listener: (pin: number, value: 0 | 1) => void): void;
};

const MODES = { INPUT: 0, OUTPUT: 1, ANALOG: 2, PWM: 3, SERVO: 4, I2C: 6 } as const;
const PIN_COUNT = 28;
const ANALOG_PINS = [26, 27];

type PinState = {
  supportedModes: number[];
  mode: number;
  value: number;
  report: number;
  analogChannel: number;
};
type ReadCallback = (value: number) => void;
type I2cCallback = (bytes: number[]) => void;

export class SimIO extends EventEmitter {
  readonly name = 'cellrig-sim';
  readonly MODES = MODES;
  readonly RESOLUTION = { ADC: 4095, DAC: null, PWM: 255 };
  readonly pins: PinState[];
  readonly analogPins = ANALOG_PINS;
  readonly defaultLed = 0;
  isReady = false;
  private readonly digitalReaders = new Map<number, ReadCallback[]>();
  private readonly analogReaders = new Map<number, ReadCallback[]>();
  private closed = false;

  constructor(private readonly world: SimWorld) {
    super();
    world.onDigitalChange?.((pin, value) => {
      if (this.closed) return;
      for (const cb of this.digitalReaders.get(pin) ?? []) cb(value);
      this.emit(`digital-read-${pin}`, value);
    });
    this.pins = Array.from({ length: PIN_COUNT }, (_, i) => {
      const analog = ANALOG_PINS.indexOf(i);
      return {
        supportedModes:
          analog >= 0 ? [MODES.INPUT, MODES.ANALOG] : [MODES.INPUT, MODES.OUTPUT, MODES.PWM, MODES.SERVO],
        mode: MODES.INPUT,
        value: 0,
        report: 1,
        analogChannel: analog >= 0 ? analog : 127,
      };
    });
    // Like a real board, announce readiness asynchronously, after the caller has attached listeners.
    setImmediate(() => {
      this.isReady = true;
      this.emit('connect');
      this.emit('ready');
    });
  }

  pinMode(pin: number, mode: number): this {
    const p = this.pins[pin];
    if (p) p.mode = mode;
    return this;
  }

  digitalWrite(pin: number, value: number): this {
    const v = value ? 1 : 0;
    const p = this.pins[pin];
    if (p) p.value = v;
    if (!this.closed) this.world.digitalWrite(pin, v);
    return this;
  }

  pwmWrite(pin: number, value: number): this {
    const p = this.pins[pin];
    if (p) p.value = value;
    return this;
  }

  analogWrite(pin: number, value: number): this {
    return this.pwmWrite(pin, value);
  }

  servoWrite(pin: number, value: number): this {
    return this.pwmWrite(pin, value);
  }

  digitalRead(pin: number, callback: ReadCallback): this {
    this.digitalReaders.set(pin, [...(this.digitalReaders.get(pin) ?? []), callback]);
    queueMicrotask(() => callback(this.world.digitalRead(pin)));
    return this;
  }

  analogRead(pin: number, callback: ReadCallback): this {
    this.analogReaders.set(pin, [...(this.analogReaders.get(pin) ?? []), callback]);
    queueMicrotask(() => callback(Math.round(this.world.analogRead(pin) * this.RESOLUTION.ADC)));
    return this;
  }

  i2cConfig(_options?: unknown): this {
    return this;
  }

  /** i2cWrite(address, bytes) or i2cWrite(address, register, bytes | byte). */
  i2cWrite(address: number, registerOrBytes: number | number[], bytes?: number | number[]): this {
    const data =
      bytes === undefined
        ? ([] as number[]).concat(registerOrBytes)
        : [registerOrBytes as number, ...([] as number[]).concat(bytes)];
    this.device(address)?.write(data);
    return this;
  }

  i2cWriteReg(address: number, register: number, value: number): this {
    this.device(address)?.write([register, value]);
    return this;
  }

  /**
   * i2cReadOnce(address, [register,] length, callback). A device that does not acknowledge answers with
   * no bytes, as StandardFirmata's reply and i2c-dev's EREMOTEIO do; a closed IO never answers.
   */
  i2cReadOnce(address: number, ...args: [number, number, I2cCallback] | [number, I2cCallback]): this {
    const [register, length, callback] = args.length === 3 ? args : [undefined, args[0], args[1]];
    if (this.closed) return this;
    const dev = this.device(address);
    // As Wire (Firmata) and i2c-dev do it: the register is written as a pointer, then the bytes are read.
    if (dev && register !== undefined) dev.write([register]);
    const bytes = dev ? dev.read(undefined, length) : [];
    queueMicrotask(() => callback(bytes));
    return this;
  }

  close(): void {
    this.closed = true;
    this.digitalReaders.clear();
    this.analogReaders.clear();
    this.emit('close');
  }

  private device(address: number): I2cSimDevice | undefined {
    return this.closed ? undefined : this.world.i2cDevice(address);
  }
}
