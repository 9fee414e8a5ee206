/**
 * Bring-up: what answers on the rig's I2C bus and behind each TCA9548A port, which part each answer is,
 * one reading of each sensor with units, and one output switched on for one second. Each step holds the
 * bus for itself (one transaction), so a probe can run beside the nodes of a running rig. Reads only,
 * apart from the multiplexer's selection and an explicit toggle; an ADC already converting is read as it
 * is, not reset.
 */
import type { Clock } from '../src/clock';
import { DEFAULT_LOAD_CELL } from '../src/rig/config';
import { forceFromCounts, pressureMPaFromForce } from '../src/rig/load-cell';
import type { DigitalIo } from './digital-out';
import { DeviceNotAvailableError, type I2cBus, type I2cOps } from './i2c-bus';
import { Mcp9601 } from './mcp9601';
import { MCP23017_REG } from './mcp23017';
import { Nau7802 } from './nau7802';

export type ProbedDevice = {
  address: number;
  /** Mux port the device sits behind, or null on the main bus. */
  muxPort: number | null;
  part: 'TCA9548A' | 'NAU7802' | 'MCP9601' | 'MCP9600' | 'MCP23017' | 'unknown';
  role: string;
  /** One reading with units, or why there is none. */
  reading: string | null;
};

export type ProbeReport = { bus: string; devices: ProbedDevice[]; muxAddress: number | null };

const SCAN = Array.from({ length: 0x78 - 0x08 }, (_, i) => i + 0x08);
const hex = (a: number) => `0x${a.toString(16).padStart(2, '0').toUpperCase()}`;

async function answers(ops: I2cOps, address: number): Promise<boolean> {
  try {
    await ops.read(address, undefined, 1, `address ${hex(address)}`);
    return true;
  } catch (err) {
    if (err instanceof DeviceNotAvailableError) return false;
    throw err;
  }
}

/** Addresses that acknowledge a one-byte read, a few at a time (an absent one answers empty at once). */
async function scan(ops: I2cOps, skip: ReadonlySet<number>): Promise<number[]> {
  const found: number[] = [];
  const todo = SCAN.filter((a) => !skip.has(a));
  for (let i = 0; i < todo.length; i += 8) {
    const batch = todo.slice(i, i + 8);
    const ok = await Promise.all(batch.map((a) => answers(ops, a)));
    for (const [k, a] of batch.entries()) if (ok[k]) found.push(a);
  }
  return found;
}

async function readReg(ops: I2cOps, address: number, register: number, length = 1): Promise<number[] | null> {
  try {
    return await ops.read(address, register, length, hex(address));
  } catch {
    return null;
  }
}

/** A TCA9548A echoes its control byte; setting port 0 and reading it back tells it apart. */
async function isMux(ops: I2cOps, address: number): Promise<boolean> {
  ops.write(address, [0x01]);
  const [a] = (await ops.read(address, undefined, 1, hex(address)).catch(() => [])) as number[];
  ops.write(address, [0x00]);
  const [b] = (await ops.read(address, undefined, 1, hex(address)).catch(() => [])) as number[];
  return a === 0x01 && b === 0x00;
}

async function identify(ops: I2cOps, address: number): Promise<ProbedDevice['part']> {
  if (address >= 0x60 && address <= 0x67) {
    const id = (await readReg(ops, address, 0x20))?.[0];
    if (id === 0x41) return 'MCP9601';
    if (id === 0x40) return 'MCP9600';
  }
  if (address === 0x2a) {
    const rev = (await readReg(ops, address, 0x1f))?.[0];
    if (rev !== undefined && (rev & 0x0f) === 0x0f) return 'NAU7802';
  }
  if (address >= 0x20 && address <= 0x27) {
    const regs = await readReg(ops, address, MCP23017_REG.IODIRA, 2);
    if (regs?.length === 2) return 'MCP23017';
  }
  return 'unknown';
}

const ROLES: Record<ProbedDevice['part'], string> = {
  TCA9548A: 'I2C multiplexer',
  NAU7802: 'load-cell bridge ADC',
  MCP9601: 'thermocouple converter',
  MCP9600: 'thermocouple converter (no open/short detection)',
  MCP23017: 'relay board port expander',
  unknown: 'not a part the rig uses',
};

async function readNau(ops: I2cOps, clock: Clock, address: number): Promise<string> {
  const adc = new Nau7802({ address, label: `NAU7802 ${hex(address)}` });
  const pu = (await readReg(ops, address, 0x00))?.[0] ?? 0;
  // Powered up and converting (a running rig's channel): read it as it is.
  if ((pu & 0x16) !== 0x16) await adc.init(ops, clock);
  const counts = await adc.readCounts(ops);
  const forceN = forceFromCounts(counts, DEFAULT_LOAD_CELL);
  return `${counts} counts = ${forceN.toFixed(0)} N = ${pressureMPaFromForce(forceN, 10).toFixed(1)} MPa on a 10 mm die (default calibration)`;
}

async function readRelays(ops: I2cOps, address: number): Promise<string> {
  const [olat = 0] = (await readReg(ops, address, MCP23017_REG.OLATA)) ?? [];
  const [gpiob] = (await readReg(ops, address, MCP23017_REG.GPIOB)) ?? [];
  if (gpiob === undefined) return 'no reading';
  const closed = Array.from({ length: 8 }, (_, i) => i).filter((i) => (gpiob & (1 << i)) === 0);
  const coils = Array.from({ length: 8 }, (_, i) => i).filter((i) => (olat & (1 << i)) !== 0);
  return `coils on: ${coils.length ? coils.join(', ') : 'none'}; contacts closed: ${closed.length ? closed.join(', ') : 'none'}`;
}

export async function probeBus(bus: I2cBus, clock: Clock, busName: string): Promise<ProbeReport> {
  const devices: ProbedDevice[] = [];
  const main = await bus.transaction(async (ops) => {
    // Deselect every mux port first, so the main-bus scan sees only the main bus.
    for (let a = 0x70; a <= 0x77; a++) ops.write(a, [0x00]);
    return scan(ops, new Set());
  });
  let muxAddress: number | null = null;
  for (const address of main) {
    const part = await bus.transaction(async (ops) =>
      address >= 0x70 && (await isMux(ops, address)) ? 'TCA9548A' : identify(ops, address),
    );
    if (part === 'TCA9548A') muxAddress ??= address;
    devices.push({ address, muxPort: null, part, role: ROLES[part], reading: null });
  }
  const mcp9601 = devices.filter((d) => d.part === 'MCP9601' || d.part === 'MCP9600');
  for (const d of mcp9601) {
    const r = await new Mcp9601(bus, `thermocouple ${hex(d.address)}`, d.address)
      .read()
      .catch((e: Error) => e);
    d.reading =
      r instanceof Error ? r.message : r.fault ? `thermocouple ${r.fault}` : `${r.tempC!.toFixed(2)} °C`;
  }
  for (const d of devices.filter((x) => x.part === 'MCP23017'))
    d.reading = await bus.transaction((ops) => readRelays(ops, d.address));
  if (muxAddress !== null) {
    const mux = muxAddress;
    for (let port = 0; port < 8; port++) {
      const found = await bus.transaction(async (ops) => {
        ops.write(mux, [1 << port]);
        const behind: ProbedDevice[] = [];
        for (const address of await scan(ops, new Set(main))) {
          const part = await identify(ops, address);
          let reading: string | null = null;
          if (part === 'NAU7802') reading = await readNau(ops, clock, address).catch((e: Error) => e.message);
          behind.push({ address, muxPort: port, part, role: ROLES[part], reading });
        }
        ops.write(mux, [0x00]);
        return behind;
      });
      devices.push(...found);
    }
  }
  return { bus: busName, devices, muxAddress };
}

/** Rig pins by what they drive (the reference wiring); the heater's need an explicit permission. */
export const RIG_OUTPUTS: Record<number, { name: string; heater?: boolean }> = {
  5: { name: 'ch1 press pump' },
  6: { name: 'ch1 press release valve' },
  12: { name: 'ch2 press pump' },
  13: { name: 'ch2 press release valve' },
  19: { name: 'ch3 press pump' },
  23: { name: 'ch3 press release valve' },
  16: { name: 'oven heater SSR', heater: true },
  20: { name: 'oven heater safety contactor', heater: true },
  21: { name: 'vacuum pump relay' },
};

/** Why a pin may not be toggled, or undefined when it may. */
export function toggleRefusal(pin: number, allowHeater: boolean): string | undefined {
  const out = RIG_OUTPUTS[pin];
  if (!out)
    return `rig pin ${pin} is not an output of the reference rig (${Object.keys(RIG_OUTPUTS).join(', ')})`;
  if (out.heater && !allowHeater)
    return `rig pin ${pin} drives the ${out.name}: switching it needs --allow-heater (and an oven you are watching)`;
  return undefined;
}

/** One output on for `ms`, then off, whatever happens in between. */
export async function toggleOutput(io: DigitalIo, clock: Clock, pin: number, ms = 1000): Promise<void> {
  io.pinMode(pin, io.MODES.OUTPUT);
  try {
    io.digitalWrite(pin, 1);
    await clock.sleep(ms);
  } finally {
    io.digitalWrite(pin, 0);
  }
}

export function formatReport(r: ProbeReport): string {
  const lines = [`I2C ${r.bus}:`];
  const main = r.devices.filter((d) => d.muxPort === null);
  if (!main.length) lines.push('  nothing answers');
  for (const d of main)
    lines.push(`  ${hex(d.address)} ${d.part} (${d.role})${d.reading ? `: ${d.reading}` : ''}`);
  if (r.muxAddress !== null) {
    lines.push(`TCA9548A ${hex(r.muxAddress)} ports:`);
    for (let p = 0; p < 8; p++) {
      const behind = r.devices.filter((d) => d.muxPort === p);
      if (!behind.length) lines.push(`  port ${p}: nothing`);
      for (const d of behind)
        lines.push(
          `  port ${p}: ${hex(d.address)} ${d.part} (${d.role})${d.reading ? `: ${d.reading}` : ''}`,
        );
    }
  }
  return `${lines.join('\n')}\n`;
}
