/**
 * The Firmata link when its USB port goes away, in both orders a real tty can report it (the pending read
 * fails first, or the next write does), on a line the test scripts (test/support/scripted-line.ts) with
 * serialport's own stream and the virtual board on it.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { FirmataLink, portGone } from '../../devices/firmata-link';
import { SIM_PINS, SimRig } from '../../devices/sim/sim-rig';
import { VirtualClock } from '../../src/clock';
import { type NoticedBy, ScriptedLine } from '../support/scripted-line';

let link: FirmataLink | undefined;
afterEach(() => {
  link?.close();
  link = undefined;
});

/** Lets the line's turns run (serialport's close and the board's replies take a few). */
async function turns(n = 20): Promise<void> {
  for (let i = 0; i < n; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}

async function connected() {
  const clock = new VirtualClock();
  const line = new ScriptedLine(new SimRig(clock, { seed: 1, loadCellPorts: [0] }), clock);
  const l = new FirmataLink('/dev/ttyACM0', clock, { serialPort: line.serialPort, retryMs: 2000 });
  link = l;
  await l.open();
  l.i2cConfig();
  l.pinMode(SIM_PINS.heaterSsr, l.MODES.OUTPUT);
  const losses: string[] = [];
  l.on('lost', (why: string) => losses.push(why));
  return { clock, line, link: l, losses };
}

describe('the Firmata link when its USB port goes away', () => {
  for (const noticedBy of ['read', 'write'] as NoticedBy[]) {
    it(`noticed first by a failed ${noticedBy}: lost once, named as the port gone with the OS's reason, back when plugged in`, async () => {
      const { clock, line, link, losses } = await connected();
      // A read of the multiplexer waiting for its reply when the cable goes (its request delivered, so no
      // write is on its way: one would meet the dead tty too and could report first).
      line.board.inject('drop-reply');
      const replies: number[][] = [];
      link.i2cReadOnce(0x70, 1, (bytes) => replies.push(bytes));
      await turns();
      expect(replies).toEqual([]);
      line.unplug(noticedBy);
      await turns();
      // The controller's next output: the write that meets the dead tty, or (read first) goes nowhere.
      link.digitalWrite(SIM_PINS.heaterSsr, 0);
      await turns();
      expect(link.state).toBe('lost');
      expect(losses).toEqual([portGone(`EIO: i/o error, ${noticedBy}`)]);
      expect(link.lostReason).toBe(`the serial port went away (unplugged?): EIO: i/o error, ${noticedBy}`);
      expect(replies).toEqual([[]]);
      // Unplugged, each retry on the rig clock fails and the first reason stays.
      await clock.tick(2000);
      await turns();
      expect(link.state).toBe('lost');
      expect(line.opens).toBe(1);
      line.plugIn();
      await clock.tick(2000);
      await turns(200);
      expect(link.state).toBe('ready');
      expect(line.opens).toBe(2);
      expect(losses).toHaveLength(1);
      link.i2cReadOnce(0x70, 1, (bytes) => replies.push(bytes));
      await turns();
      expect(replies).toHaveLength(2);
      expect(replies[1]).toHaveLength(1);
    });
  }
});
