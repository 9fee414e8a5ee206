/**
 * A virtual Arduino Mega 2560 running StandardFirmata 2.5, with the simulated rig wired to its pins and its
 * I2C bus. It speaks Firmata over whatever line it is given (a pseudo-terminal in the tests and in
 * `cellrig sim board`), so the host side runs the real serial path: serialport, firmata.js, johnny-five and
 * our drivers. It keeps the sketch's behaviour where a host can see it: the announcement at power-up, the
 * capability and analog-mapping replies, outputs low after a reset, I2C off until I2C_CONFIG and off again
 * when an I2C pin changes mode, a register write before a register read (Wire, stop between), a short reply
 * plus "I2C: Too few bytes received" when a device does not answer, and digital ports reported on change.
 * Line faults (a dropped or garbled reply, a reset, a loss of power) are injected by name.
 */
import type { Clock, TimerHandle } from '../../../src/clock';
import { type FirmataWiring, MEGA_2560_WIRING, rigPin } from '../../firmata-wiring';
import type { SimWorld } from '../sim-io';
import { encode, from7bitPairs, type HostMessage, HostParser, I2C_MODE, PIN_MODE, SYSEX } from './protocol';

const TOTAL_PINS = 70;
const FIRST_ANALOG = 54;
const PWM_PINS = new Set([2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 44, 45, 46]);
const MAX_SERVOS = 48;
/** Wire's buffer on AVR: longer requests are cut to it. */
const WIRE_BUFFER = 32;
const MAX_I2C_QUERIES = 8;
export const FIRMWARE = { major: 2, minor: 5, name: 'StandardFirmata.ino' } as const;

export type LineFault =
  /** The next I2C reply never leaves the board. */
  | 'drop-reply'
  /** The next I2C reply loses its last two bytes on the line (frame cut, no END_SYSEX). */
  | 'truncate-reply'
  /** The next I2C reply loses one 7-bit data byte but keeps its frame (an odd-length payload). */
  | 'drop-byte';

type Query = { address: number; register: number | undefined; length: number };

const isDigital = (p: number) => p >= 2 && p < TOTAL_PINS;
const isAnalog = (p: number) => p >= FIRST_ANALOG && p < TOTAL_PINS;

export class VirtualFirmataBoard {
  /** Bytes received from and sent to the host, for tests that wait for a quiet line. */
  bytesIn = 0;
  bytesOut = 0;
  readonly strings: string[] = [];
  /** The byte counts right after the last analog-mapping reply (the end of a host's handshake). */
  handshake: { bytesIn: number; bytesOut: number } | undefined;
  private readonly modes = new Uint8Array(TOTAL_PINS);
  private readonly values = new Uint8Array(TOTAL_PINS);
  private readonly reportPorts = new Set<number>();
  private readonly lastPortValue = new Map<number, number>();
  private readonly analogReports = new Set<number>();
  private readonly queries: Query[] = [];
  private readonly faults: LineFault[] = [];
  private readonly parser = new HostParser((m) => this.handle(m));
  private i2cEnabled = false;
  private samplingMs = 19;
  private sampler: TimerHandle | undefined;
  private powered = false;

  constructor(
    private readonly world: SimWorld,
    private readonly clock: Clock,
    private readonly send: (bytes: Buffer) => void,
    private readonly wiring: FirmataWiring = MEGA_2560_WIRING,
  ) {
    world.onDigitalChange?.(() => this.checkDigitalInputs());
  }

  /** setup(): outputs low, then the version and firmware announcement. */
  powerOn(): void {
    this.powered = true;
    this.systemReset();
    this.out(encode.version(FIRMWARE.major, FIRMWARE.minor));
    this.out(encode.firmware(FIRMWARE.major, FIRMWARE.minor, FIRMWARE.name));
  }

  /** The reset button (or a watchdog): the sketch starts again and announces itself. */
  reset(): void {
    this.powerOn();
  }

  /** Unplugged from USB (the board's only supply): every output drops, nothing more is sent. */
  powerOff(): void {
    this.powered = false;
    this.clock.clearTimer(this.sampler);
    this.sampler = undefined;
    for (let p = 0; p < TOTAL_PINS; p++) this.drive(p, 0);
  }

  inject(fault: LineFault): void {
    this.faults.push(fault);
  }

  /** Called after the board has taken in bytes from the host (a test waiting for a quiet line listens). */
  onTraffic: (() => void) | undefined;

  /** Bytes from the host. */
  receive(bytes: Uint8Array): void {
    this.bytesIn += bytes.length;
    if (this.powered) this.parser.push(bytes);
    this.onTraffic?.();
  }

  /** The level the board drives on a pin (0 when it is not an output). */
  pinLevel(pin: number): number {
    return this.modes[pin] === PIN_MODE.OUTPUT ? (this.values[pin] ?? 0) : 0;
  }

  get isI2cEnabled(): boolean {
    return this.i2cEnabled;
  }

  private out(bytes: number[]): void {
    if (!this.powered) return;
    this.bytesOut += bytes.length;
    this.send(Buffer.from(bytes));
  }

  private sendString(text: string): void {
    this.strings.push(text);
    this.out(encode.string(text));
  }

  private handle(m: HostMessage): void {
    switch (m.type) {
      case 'version-query':
        this.out(encode.version(FIRMWARE.major, FIRMWARE.minor));
        break;
      case 'system-reset':
        this.systemReset();
        break;
      case 'pin-mode':
        this.setPinMode(m.pin, m.mode);
        break;
      case 'digital-port':
        this.writePort(m.port, m.value);
        break;
      case 'pin-value':
        if (isDigital(m.pin) && this.modes[m.pin] === PIN_MODE.OUTPUT) this.drive(m.pin, m.value ? 1 : 0);
        break;
      case 'report-digital':
        if (m.enable) {
          this.reportPorts.add(m.port);
          // StandardFirmata sends the port at once, so the host knows its inputs without waiting for a change.
          this.reportPort(m.port, true);
        } else this.reportPorts.delete(m.port);
        break;
      case 'report-analog':
        if (m.enable) this.analogReports.add(m.pin);
        else this.analogReports.delete(m.pin);
        this.updateSampler();
        break;
      case 'analog-write':
        break; // PWM: nothing on the rig uses it
      case 'sysex':
        this.sysex(m.command, m.data);
        break;
    }
    this.checkDigitalInputs();
  }

  private sysex(command: number, data: number[]): void {
    switch (command) {
      case SYSEX.REPORT_FIRMWARE:
        this.out(encode.firmware(FIRMWARE.major, FIRMWARE.minor, FIRMWARE.name));
        break;
      case SYSEX.CAPABILITY_QUERY:
        this.out(encode.sysex(SYSEX.CAPABILITY_RESPONSE, this.capabilities()));
        break;
      case SYSEX.ANALOG_MAPPING_QUERY:
        this.out(
          encode.sysex(
            SYSEX.ANALOG_MAPPING_RESPONSE,
            Array.from({ length: TOTAL_PINS }, (_, p) => (isAnalog(p) ? p - FIRST_ANALOG : 127)),
          ),
        );
        this.handshake = { bytesIn: this.bytesIn, bytesOut: this.bytesOut };
        break;
      case SYSEX.PIN_STATE_QUERY: {
        const pin = data[0] ?? 0;
        if (pin < TOTAL_PINS)
          this.out(encode.sysex(SYSEX.PIN_STATE_RESPONSE, [pin, this.modes[pin]!, this.values[pin]! & 0x7f]));
        break;
      }
      case SYSEX.SAMPLING_INTERVAL: {
        const ms = (data[0] ?? 0) | ((data[1] ?? 0) << 7);
        this.samplingMs = Math.max(10, ms);
        this.clock.clearTimer(this.sampler);
        this.sampler = undefined;
        this.updateSampler();
        break;
      }
      case SYSEX.I2C_CONFIG:
        this.i2cEnabled = true;
        this.modes[this.wiring.sda] = PIN_MODE.I2C;
        this.modes[this.wiring.scl] = PIN_MODE.I2C;
        break;
      case SYSEX.I2C_REQUEST:
        this.i2cRequest(data);
        break;
      default:
        this.sendString(`Unhandled sysex command 0x${command.toString(16)}`);
    }
  }

  private capabilities(): number[] {
    const out: number[] = [];
    for (let p = 0; p < TOTAL_PINS; p++) {
      if (isDigital(p)) out.push(PIN_MODE.INPUT, 1, PIN_MODE.PULLUP, 1, PIN_MODE.OUTPUT, 1);
      if (isAnalog(p)) out.push(PIN_MODE.ANALOG, 10);
      if (PWM_PINS.has(p)) out.push(PIN_MODE.PWM, 8);
      if (p >= 2 && p - 2 < MAX_SERVOS) out.push(PIN_MODE.SERVO, 14);
      if (p === this.wiring.sda || p === this.wiring.scl) out.push(PIN_MODE.I2C, 1);
      out.push(0x7f);
    }
    return out;
  }

  private systemReset(): void {
    this.i2cEnabled = false;
    this.reportPorts.clear();
    this.lastPortValue.clear();
    this.analogReports.clear();
    this.queries.length = 0;
    this.updateSampler();
    // Pins with analog capability default to analog input, the rest to digital output, low.
    for (let p = 0; p < TOTAL_PINS; p++) {
      if (isAnalog(p)) this.modes[p] = PIN_MODE.ANALOG;
      else if (isDigital(p)) {
        this.modes[p] = PIN_MODE.OUTPUT;
        this.drive(p, 0);
      }
    }
  }

  private setPinMode(pin: number, mode: number): void {
    if (pin >= TOTAL_PINS) return;
    // Taking an I2C pin for anything else switches the bus off, as the sketch's disableI2CPins() does.
    if (this.modes[pin] === PIN_MODE.I2C && this.i2cEnabled && mode !== PIN_MODE.I2C) this.i2cEnabled = false;
    if (mode === PIN_MODE.OUTPUT && isDigital(pin)) {
      this.modes[pin] = mode;
      this.drive(pin, 0);
    } else if ((mode === PIN_MODE.INPUT || mode === PIN_MODE.PULLUP) && isDigital(pin)) {
      this.modes[pin] = mode;
      this.drive(pin, 0);
    } else if (mode === PIN_MODE.ANALOG && isAnalog(pin)) this.modes[pin] = mode;
    else if (mode === PIN_MODE.I2C && (pin === this.wiring.sda || pin === this.wiring.scl))
      this.modes[pin] = mode;
    else if (mode === PIN_MODE.PWM && PWM_PINS.has(pin)) this.modes[pin] = mode;
    else this.sendString('Unknown pin mode');
  }

  /** DIGITAL_MESSAGE: only pins in OUTPUT mode are written (INPUT pins would get a pull-up). */
  private writePort(port: number, value: number): void {
    for (let i = 0; i < 8; i++) {
      const pin = port * 8 + i;
      if (pin < TOTAL_PINS && this.modes[pin] === PIN_MODE.OUTPUT) this.drive(pin, (value >> i) & 1);
    }
  }

  private drive(pin: number, level: number): void {
    const before = this.values[pin];
    this.values[pin] = level;
    const rig = rigPin(this.wiring, pin);
    if (rig !== undefined && (before !== level || level === 0)) this.world.digitalWrite(rig, level ? 1 : 0);
  }

  private readPin(pin: number): number {
    const rig = rigPin(this.wiring, pin);
    if (rig !== undefined) return this.world.digitalRead(rig);
    return this.modes[pin] === PIN_MODE.PULLUP ? 1 : 0;
  }

  private reportPort(port: number, force: boolean): void {
    let value = 0;
    for (let i = 0; i < 8; i++) {
      const pin = port * 8 + i;
      const mode = this.modes[pin];
      if (pin < TOTAL_PINS && (mode === PIN_MODE.INPUT || mode === PIN_MODE.PULLUP) && this.readPin(pin))
        value |= 1 << i;
    }
    if (!force && this.lastPortValue.get(port) === value) return;
    this.lastPortValue.set(port, value);
    this.out(encode.digitalPort(port, value));
  }

  /** checkDigitalInputs() of the sketch's loop: reported ports whose inputs changed. */
  private checkDigitalInputs(): void {
    if (!this.powered) return;
    for (const port of this.reportPorts) this.reportPort(port, false);
  }

  private i2cRequest(argv: number[]): void {
    const address = argv[0] ?? 0;
    const mode = ((argv[1] ?? 0) >> 3) & 0x03;
    if (!this.i2cEnabled) {
      // An uninitialised TWI cannot address the bus; the sketch would hang in Wire, we say so instead.
      this.sendString('I2C: not enabled (send I2C_CONFIG first)');
      return;
    }
    if (mode === I2C_MODE.WRITE) {
      const bytes = from7bitPairs(argv.slice(2)).slice(0, WIRE_BUFFER);
      this.world.i2cDevice(address)?.write(bytes);
      return;
    }
    if (mode === I2C_MODE.STOP_READING) {
      if (this.queries.length <= 1) this.queries.length = 0;
      else
        for (let i = this.queries.length - 1; i >= 0; i--)
          if (this.queries[i]!.address === address) this.queries.splice(i, 1);
      this.updateSampler();
      return;
    }
    const withRegister = argv.length === 6;
    const register = withRegister ? argv[2]! | (argv[3]! << 7) : undefined;
    const length = withRegister ? argv[4]! | (argv[5]! << 7) : (argv[2] ?? 0) | ((argv[3] ?? 0) << 7);
    if (mode === I2C_MODE.READ) this.readAndReport({ address, register, length });
    else if (this.queries.length >= MAX_I2C_QUERIES - 1) this.sendString('too many queries');
    else {
      this.queries.push({ address, register, length });
      this.updateSampler();
    }
  }

  /** The sketch's readAndReportData(): register write (stop), requestFrom, the reply even when short. */
  private readAndReport(q: Query): void {
    const device = this.world.i2cDevice(q.address);
    if (q.register !== undefined) device?.write([q.register]);
    const wanted = Math.min(q.length, WIRE_BUFFER);
    const got = device ? device.read(undefined, wanted).map((b) => b & 0xff) : [];
    if (got.length < q.length) this.sendString('I2C: Too few bytes received');
    const frame = encode.i2cReply(q.address, q.register ?? 0, got);
    const fault = this.faults.shift();
    if (fault === 'drop-reply') return;
    if (fault === 'truncate-reply') this.out(frame.slice(0, -2));
    else if (fault === 'drop-byte') this.out([...frame.slice(0, -3), ...frame.slice(-2)]);
    else this.out(frame);
  }

  private updateSampler(): void {
    const needed = this.powered && (this.queries.length > 0 || this.analogReports.size > 0);
    if (needed && !this.sampler) this.sampler = this.clock.setInterval(() => this.sample(), this.samplingMs);
    else if (!needed && this.sampler) {
      this.clock.clearTimer(this.sampler);
      this.sampler = undefined;
    }
  }

  /** Every sampling interval: analog inputs being reported, then the continuous I2C reads. */
  private sample(): void {
    for (const channel of this.analogReports) {
      const rig = rigPin(this.wiring, FIRST_ANALOG + channel);
      const level = rig === undefined ? 0 : this.world.analogRead(rig);
      this.out(encode.analog(channel, Math.round(level * 1023)));
    }
    for (const q of [...this.queries]) this.readAndReport(q);
  }
}
