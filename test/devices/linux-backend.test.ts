/**
 * The Linux backend (i2c-dev and the GPIO character device) against a fake bus and a fake GPIO chip that
 * speak the same bytes as the kernel (test/support/linux-fakes.ts), with the simulated rig behind them.
 * What cannot run here (no /dev/i2c-1, no GPIO chip on this machine) is named in docs/hardware.md.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { openRigHardware } from '../../devices/board';
import { DeviceNotAvailableError } from '../../devices/i2c-bus';
import { realGpioSys } from '../../devices/linux/gpio-chip';
import { GPIO_IOCTL, LAYOUT, LINE_FLAG } from '../../devices/linux/gpio-uapi';
import { openI2cDev } from '../../devices/linux/linux-io';
import { StackLoadCell } from '../../devices/load-cell';
import { Mcp23017RelayBoard } from '../../devices/mcp23017';
import type { PressLoopSample } from '../../devices/press-loop';
import { SIM_PINS, SimRig } from '../../devices/sim/sim-rig';
import { VirtualClock } from '../../src/clock';
import type { ControlEvent } from '../../src/control/events';
import { ChannelInterlock } from '../../src/control/interlock';
import { channelConfigSchema } from '../../src/rig/config';
import { FakeGpioKernel, FakeI2cDev } from '../support/linux-fakes';
import { openTestRig, ovenLoop, pressLoop, runPeriods, type TestRig } from '../support/rig-loops';

const rigs: TestRig[] = [];
afterEach(async () => {
  for (const r of rigs.splice(0)) await r.close();
});
async function open(backend: 'sim' | 'linux', seed = 1): Promise<TestRig> {
  const r = await openTestRig(backend, seed);
  rigs.push(r);
  return r;
}

describe('GPIO v2 uAPI encoding', () => {
  const header = '/usr/include/linux/gpio.h';
  const cc = spawnSync('cc', ['--version']).status === 0;
  it.runIf(cc && existsSync(header))(
    'matches the kernel header: ioctl numbers, struct sizes and offsets',
    () => {
      const dir = mkdtempSync(join(tmpdir(), 'cellrig-gpioh-'));
      try {
        const src = join(dir, 'l.c');
        writeFileSync(
          src,
          `#include <stdio.h>\n#include <stddef.h>\n#include <linux/gpio.h>\n#define P(x) printf(#x " %llu\\n", (unsigned long long)(x));\n` +
            'int main(void){P(GPIO_GET_CHIPINFO_IOCTL)P(GPIO_V2_GET_LINE_IOCTL)P(GPIO_V2_LINE_GET_VALUES_IOCTL)' +
            'P(GPIO_V2_LINE_SET_VALUES_IOCTL)P(sizeof(struct gpiochip_info))P(sizeof(struct gpio_v2_line_request))' +
            'P(sizeof(struct gpio_v2_line_values))P(offsetof(struct gpiochip_info,label))P(offsetof(struct gpiochip_info,lines))' +
            'P(offsetof(struct gpio_v2_line_request,consumer))P(offsetof(struct gpio_v2_line_request,config))' +
            'P(offsetof(struct gpio_v2_line_request,config.num_attrs))P(offsetof(struct gpio_v2_line_request,config.attrs))' +
            'P(offsetof(struct gpio_v2_line_request,num_lines))P(offsetof(struct gpio_v2_line_request,fd))' +
            'P(sizeof(struct gpio_v2_line_config_attribute))P(offsetof(struct gpio_v2_line_config_attribute,mask))' +
            'P(GPIO_V2_LINE_FLAG_INPUT)P(GPIO_V2_LINE_FLAG_OUTPUT)P(GPIO_V2_LINE_FLAG_BIAS_PULL_UP)' +
            'P(GPIO_V2_LINE_ATTR_ID_OUTPUT_VALUES)return 0;}\n',
        );
        const built = spawnSync('cc', ['-o', join(dir, 'l'), src], { encoding: 'utf8' });
        expect(built.stderr).toBe('');
        const out = spawnSync(join(dir, 'l'), { encoding: 'utf8' })
          .stdout.trim()
          .split('\n')
          .map((l) => l.split(' ').pop());
        const L = LAYOUT.lineRequest;
        expect(out.map(Number)).toEqual([
          GPIO_IOCTL.GET_CHIPINFO,
          GPIO_IOCTL.V2_GET_LINE,
          GPIO_IOCTL.V2_LINE_GET_VALUES,
          GPIO_IOCTL.V2_LINE_SET_VALUES,
          LAYOUT.chipInfo.size,
          L.size,
          LAYOUT.lineValues.size,
          LAYOUT.chipInfo.label,
          LAYOUT.chipInfo.lines,
          L.consumer,
          L.configFlags,
          L.configNumAttrs,
          L.configAttrs,
          L.numLines,
          L.fd,
          L.attrSize,
          16,
          Number(LINE_FLAG.INPUT),
          Number(LINE_FLAG.OUTPUT),
          Number(LINE_FLAG.BIAS_PULL_UP),
          2,
        ]);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    },
  );

  it("reaches libc's ioctl through koffi (ENOTTY on a file that is no GPIO chip)", () => {
    const sys = realGpioSys();
    const fd = sys.open('/dev/null');
    try {
      expect(() => sys.ioctl(fd, GPIO_IOCTL.GET_CHIPINFO, Buffer.alloc(LAYOUT.chipInfo.size))).toThrow(
        expect.objectContaining({ errno: 25 }),
      );
    } finally {
      sys.close(fd);
    }
  });
});

describe('Linux backend on a fake /dev/i2c-1 and GPIO chip', () => {
  it('reads a load cell with the same bytes on the wire as Firmata: mux select, read-back, pointer, 3 bytes', async () => {
    const r = await open('linux');
    const cell = new StackLoadCell(
      r.hw.bus,
      r.clock,
      channelConfigSchema.parse({ channel: 'ch2', cell: 'c', coating: 'pristine', muxPort: 1 }),
    );
    const p = cell.read();
    await r.clock.tick(50);
    expect((await p).pressureMPa).toBeGreaterThan(145);
    const log = r.linux!.bus.log;
    expect(log.slice(0, 2)).toEqual([
      { op: 'write', address: 0x70, bytes: [0x02] },
      { op: 'read', address: 0x70, bytes: [0x02] },
    ]);
    const last = log.slice(-2);
    expect(last[0]).toEqual({ op: 'write', address: 0x2a, bytes: [0x12] });
    expect(last[1]).toMatchObject({ op: 'read', address: 0x2a });
    expect(last[1]!.bytes).toHaveLength(3);
  });

  it('reports a device that does not acknowledge as not available at once, not after a timeout', async () => {
    const r = await open('linux');
    r.sim.detachLoadCell(3);
    const cell = new StackLoadCell(
      r.hw.bus,
      r.clock,
      channelConfigSchema.parse({ channel: 'ch4', cell: 'c', coating: 'pristine', muxPort: 3 }),
    );
    const caught = cell.read().catch((e: unknown) => e);
    await r.clock.tick(0);
    const err = await caught;
    expect(err).toBeInstanceOf(DeviceNotAvailableError);
    expect(String(err)).toMatch(/answered 0 of/);
  });

  it('holds 150 MPa for an hour and drives the press through GPIO lines, sample for sample as on SimIO', async () => {
    const pressures: Record<string, number[]> = {};
    for (const backend of ['sim', 'linux'] as const) {
      const rig = await open(backend, 2);
      const { loop } = pressLoop(rig, 0);
      const got: number[] = [];
      let inBand = 0;
      await runPeriods(rig, 3600, async () => {
        const s: PressLoopSample = await loop.sample();
        got.push(s.reading?.pressureMPa ?? Number.NaN);
        if (s.control?.phase === 'hold' && Math.abs((s.reading?.pressureMPa ?? 0) - 150) <= 1.5) inBand++;
      });
      loop.stop();
      expect(inBand / 3600).toBeGreaterThanOrEqual(0.99);
      pressures[backend] = got;
    }
    expect(pressures.linux).toEqual(pressures.sim);
    const gpio = rigs[1]!.linux!.gpio;
    const press = SIM_PINS.press[0]!;
    expect(gpio.requests.filter((q) => q.flags === LINE_FLAG.OUTPUT).map((q) => q.offsets[0])).toEqual(
      expect.arrayContaining([press.pump, press.valve]),
    );
    expect(gpio.requests.every((q) => q.consumer === 'cellrig')).toBe(true);
  }, 60_000);

  it('runs a drying segment: heater through GPIO, vacuum switch polled as an input, same events as SimIO', async () => {
    const codes: Record<string, string[]> = {};
    for (const backend of ['sim', 'linux'] as const) {
      const rig = await open(backend, 3);
      const { loop } = ovenLoop(rig, {
        name: 'vac',
        segments: [{ name: 'dry', targetC: 50, rampCPerMin: 5, holdS: 300, vacuum: true }],
      });
      const got: string[] = [];
      await runPeriods(rig, 1500, async () => {
        got.push(...(await loop.sample()).out.events.map((e) => e.code));
      });
      loop.off();
      expect(rig.sim.digitalRead(SIM_PINS.heaterSsr)).toBe(0);
      codes[backend] = got;
    }
    expect(codes.linux).toEqual(expect.arrayContaining(['vacuum-reached', 'soak-start', 'run-complete']));
    expect(codes.linux).toEqual(codes.sim);
  }, 60_000);

  it('switches relays over i2c-dev under the interlock and catches a welded one', async () => {
    const r = await open('linux');
    const events: ControlEvent[] = [];
    const il = new ChannelInterlock(
      new Mcp23017RelayBoard(r.hw.bus, 'relay board', undefined, r.hw.io),
      r.clock,
      {
        channels: [
          { channel: 'ch1', cyclerRelay: 0, analyserRelay: 1 },
          { channel: 'ch2', cyclerRelay: 2, analyserRelay: 3 },
        ],
      },
      (e) => events.push(e),
    );
    const a = il.request('ch1', 'analyser');
    await r.clock.tick(200);
    expect(await a).toMatchObject({ ok: true });
    r.sim.inject({ device: 'relay', relay: 1, fault: 'welded' });
    const b = il.request('ch2', 'analyser');
    await r.clock.tick(200);
    expect(await b).toMatchObject({ ok: false });
    expect(events.filter((e) => e.kind === 'alarm').map((e) => e.code)).toEqual(['relay-welded-1']);
  });

  it('on close drives every output low before releasing its line, and closes the bus', async () => {
    const r = await open('linux');
    const { actuator } = pressLoop(r, 0);
    actuator.setVelocity(0.01);
    expect(r.sim.digitalRead(SIM_PINS.press[0]!.pump)).toBe(1);
    r.hw.close();
    expect(r.sim.digitalRead(SIM_PINS.press[0]!.pump)).toBe(0);
    expect(r.linux!.gpio.held()).toEqual([]);
    await r.clock.tick(0);
    expect(r.linux!.bus.closed).toBe(true);
  });

  it('names what is missing: no GPIO chip, an I2C bus that is not there', async () => {
    const clock = new VirtualClock();
    const sim = new SimRig(clock, { seed: 1 });
    await expect(
      openRigHardware({ rigId: 'r', backend: 'linux', seed: 1 }, clock, 1000, {
        bus: new FakeI2cDev(sim),
        gpio: new FakeGpioKernel(sim),
        chips: () => [],
      }),
    ).rejects.toThrow(/not available: no \/dev\/gpiochip/);
    // The real i2c-bus package on this machine, asked for a bus that does not exist.
    await expect(openI2cDev(250)).rejects.toThrow(/not available: \/dev\/i2c-250/);
  });

  it('picks the Pi 5 GPIO chip by its label when it is not gpiochip0', async () => {
    const clock = new VirtualClock();
    const sim = new SimRig(clock, { seed: 1 });
    // A Pi 5 on an older kernel: gpiochip0 is the SoC's own (brcmstb), the header's pins are on gpiochip4.
    const gpio = new FakeGpioKernel(sim, {
      '/dev/gpiochip0': 'gpio-brcmstb@107d508500',
      '/dev/gpiochip4': 'pinctrl-rp1',
    });
    const hw = await openRigHardware({ rigId: 'r', backend: 'linux', seed: 1 }, clock, 1000, {
      bus: new FakeI2cDev(sim),
      gpio,
      chips: () => gpio.chipPaths,
    });
    hw.io.pinMode(SIM_PINS.heaterSsr, hw.io.MODES.OUTPUT);
    hw.close();
    expect(gpio.requestedOn).toEqual(['/dev/gpiochip4']);
  });
});
