/**
 * Opens a johnny-five Board on the configured IO backend. Johnny-five's REPL, console chatter and own
 * SIGINT handler (which exits the process) are switched off: Node-RED owns the process.
 */
import type { EventEmitter } from 'node:events';
import { Board } from 'johnny-five';
import type { Clock } from '../src/clock';
import type { RigConfig } from '../src/rig/config';
import type { DigitalIo } from './digital-out';
import { FirmataLink } from './firmata-link';
import { I2cBus, type I2cIo } from './i2c-bus';
import { findRigChip, GpioChip, type GpioSys, realGpioSys } from './linux/gpio-chip';
import { type I2cDevBus, LinuxIO, openI2cDev } from './linux/linux-io';
import { SimIO } from './sim/sim-io';
import { SIM_LOAD_CELL_PORTS, SimRig } from './sim/sim-rig';

/** What the rig's drivers need from the IO plugin besides the I2C bus. */
export type RigIo = DigitalIo &
  Pick<I2cIo, 'i2cWrite'> & {
    digitalRead(pin: number, callback: (value: number) => void): unknown;
    MODES: { INPUT: number; OUTPUT: number };
  };

export type RigHardware = {
  /** johnny-five's Board (for the Firmata backend, the one on the current connection). */
  board: Board | undefined;
  bus: I2cBus;
  /** Digital outputs (heater SSR, contactor, press pump and valve, vacuum pump). */
  io: RigIo;
  /** The simulated world, when the backend is the simulator (for fault injection and tests). */
  sim?: SimRig;
  /** The serial line, when the backend is Firmata (state, byte counts, firmware). */
  link?: FirmataLink;
  close(): void;
};

/** Where a Firmata microcontroller usually appears on a Raspberry Pi (an Arduino over USB). */
export const DEFAULT_SERIAL_PORT = '/dev/ttyACM0';

/**
 * Opens the rig's board. `sim` (the default, and what the tests use) answers from the simulated rig;
 * `firmata` talks to a USB-attached microcontroller running StandardFirmata over serialport, firmata.js and
 * johnny-five (devices/firmata-link.ts), which works on every Raspberry Pi (the Pi 5 included). A board
 * that is not there rejects with an error naming the port, which the nodes show as "not available".
 */
export function openRigHardware(
  config: RigConfig,
  clock: Clock,
  timeoutMs = 5000,
  linux: LinuxDeps = {},
): Promise<RigHardware> {
  if (config.backend === 'firmata') return openFirmata(config, clock, timeoutMs);
  if (config.backend === 'linux') return openLinux(config, clock, timeoutMs, linux);
  const sim = new SimRig(clock, { seed: config.seed, loadCellPorts: SIM_LOAD_CELL_PORTS });
  const io = new SimIO(sim);
  const board = new Board({ io, repl: false, debug: false, sigint: false, timeout: timeoutMs } as never);
  return whenReady(board, `${config.backend} board`, timeoutMs, () => ({
    board,
    bus: new I2cBus(io as unknown as I2cIo, clock),
    io,
    sim,
    close: () => io.close(),
  }));
}

async function openFirmata(config: RigConfig, clock: Clock, timeoutMs: number): Promise<RigHardware> {
  const link = new FirmataLink(config.serialPort ?? DEFAULT_SERIAL_PORT, clock, { timeoutMs });
  await link.open();
  return {
    get board() {
      return link.board;
    },
    bus: new I2cBus(link, clock),
    io: link,
    link,
    close: () => link.close(),
  };
}

/** What the Linux backend opens; tests pass a fake /dev/i2c-N and a fake GPIO chip instead. */
export type LinuxDeps = { bus?: I2cDevBus; gpio?: GpioSys; chips?: () => string[] };

async function openLinux(
  config: RigConfig,
  clock: Clock,
  timeoutMs: number,
  deps: LinuxDeps,
): Promise<RigHardware> {
  const gpio = deps.gpio ?? realGpioSys();
  const chip = new GpioChip(gpio, findRigChip(gpio, config.gpioChip, deps.chips));
  let bus: I2cDevBus;
  try {
    bus = deps.bus ?? (await openI2cDev(config.i2cBus ?? 1));
  } catch (err) {
    chip.close();
    throw err;
  }
  const io = new LinuxIO(bus, chip, clock);
  const board = new Board({ io, repl: false, debug: false, sigint: false, timeout: timeoutMs } as never);
  return whenReady(board, `Linux /dev/i2c-${config.i2cBus ?? 1} and ${chip.path}`, timeoutMs, () => ({
    board,
    bus: new I2cBus(io as unknown as I2cIo, clock),
    io,
    close: () => io.close(),
  }));
}

function whenReady(
  board: Board,
  what: string,
  timeoutMs: number,
  make: () => RigHardware,
): Promise<RigHardware> {
  const events = board as unknown as EventEmitter;
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${what}: not ready within ${timeoutMs} ms`)), timeoutMs);
    events.once('ready', () => {
      clearTimeout(timer);
      resolve(make());
    });
    events.once('error', (err: Error) => {
      clearTimeout(timer);
      reject(new Error(`${what}: ${err.message}`));
    });
  });
}
