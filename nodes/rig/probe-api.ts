/**
 * The rig editor's "Probe" button: the deployed rig's I2C bus listed and read once (devices/probe.ts),
 * through the rig's own board, so a probe runs beside the rig's nodes (each step holds the bus for
 * itself). Behind the editor's login: the `rig.read` permission.
 */
import type { NodeAPI } from 'node-red';
import { formatReport, probeBus } from '../../devices/probe';
import { errorMessage } from '../shared/node-support';
import type { RigConfigNode } from './rig-runtime';

type Res = { status(code: number): Res; json(body: unknown): void };

export function registerProbeApi(RED: NodeAPI): void {
  const canRead = RED.auth.needsPermission('rig.read');
  RED.httpAdmin.get('/cellrig/rig/:id/probe', canRead, (req: { params: { id: string } }, res: Res) => {
    const rig = RED.nodes.getNode(req.params.id) as RigConfigNode | null;
    if (!rig)
      return res.status(404).json({ error: `rig ${req.params.id} is not deployed: deploy it, then probe` });
    const runtime = rig.runtime;
    if (!runtime) return res.status(409).json({ error: rig.configError ?? 'rig: not initialised' });
    const { backend, serialPort, i2cBus } = runtime.config;
    const where =
      backend === 'firmata'
        ? `Firmata on ${serialPort ?? '/dev/ttyACM0'}`
        : backend === 'linux'
          ? `Linux /dev/i2c-${i2cBus ?? 1}`
          : 'the simulated rig';
    runtime
      .hardware()
      .then(async (hw) => {
        const report = await probeBus(hw.bus, runtime.clock, where);
        res.json({ report, text: formatReport(report) });
      })
      .catch((err: unknown) => res.status(503).json({ error: `tried ${where}: ${errorMessage(err)}` }));
  });
}
