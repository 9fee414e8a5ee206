/**
 * Installation records for tests of a "real" rig (the Firmata or Linux backend in front of the simulated
 * physics): written through the record's own API, as `cellrig install hardware --reference` and a
 * calibration would leave them, with the simulated load cells' figures as built. The checks a technician's
 * install goes through (press released) are tested on their own, in test/devices/installation*.test.ts.
 */
import { RigInstallation } from '../../devices/rig-installation';
import { simChannelAsBuilt } from '../../devices/sim/sim-rig';
import type { IoBackend } from '../../src/rig/config';
import { REFERENCE_RIG } from '../../src/rig/hardware-limits';

export function installForTest(
  dataDir: string,
  o: { rigId?: string; backend?: IoBackend; channels?: Record<string, number> } = {},
): RigInstallation {
  const inst = RigInstallation.open({
    dataDir,
    rigId: o.rigId ?? 'rig01',
    backend: o.backend ?? 'firmata',
  });
  inst.setHardware(REFERENCE_RIG, 'test: the reference rig');
  for (const [channel, port] of Object.entries(o.channels ?? { ch1: 0, ch2: 1, ch3: 2 }))
    inst.installChannel(
      channel,
      simChannelAsBuilt(port)!,
      'calibrate',
      'test: the simulated load cell as built',
    );
  return inst;
}
