import { describe, expect, it } from 'vitest';
import { openRigHardware } from '../../devices/board';
import { RealClock } from '../../src/clock';
import { rigConfigSchema } from '../../src/rig/config';

describe('rig board backends', () => {
  it('rejects a Firmata board that is not plugged in, naming the port, within the timeout', async () => {
    const config = rigConfigSchema.parse({
      rigId: 'rig01',
      backend: 'firmata',
      serialPort: '/dev/cellrig-no-such-port',
    });
    const t0 = Date.now();
    await expect(openRigHardware(config, new RealClock(), 1500)).rejects.toThrow(
      /Firmata board on \/dev\/cellrig-no-such-port/,
    );
    expect(Date.now() - t0).toBeLessThan(5000);
  });

  it('accepts only the backends it can open, naming the field', () => {
    const r = rigConfigSchema.safeParse({ rigId: 'rig01', backend: 'pigpio' });
    expect(r.success).toBe(false);
    expect(JSON.stringify(r.error?.issues[0]?.path)).toBe('["backend"]');
  });
});
