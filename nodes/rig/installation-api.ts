/**
 * The rig editor's read-only view of the rig's installation record (hardware limits, installed channels,
 * when and how each was set), as the deployed rig loaded it. Nothing here writes it: that is
 * `cellrig install` and `cellrig calibrate`, with cellrig stopped. Behind the `rig.read` permission.
 */
import type { NodeAPI } from 'node-red';
import { describeInstallation } from '../../src/rig/installation';
import type { RigConfigNode } from './rig-runtime';

type Res = { status(code: number): Res; json(body: unknown): void };

export function registerInstallationApi(RED: NodeAPI): void {
  const canRead = RED.auth.needsPermission('rig.read');
  RED.httpAdmin.get('/cellrig/rig/:id/installation', canRead, (req: { params: { id: string } }, res: Res) => {
    const rig = RED.nodes.getNode(req.params.id) as RigConfigNode | null;
    if (!rig)
      return res
        .status(404)
        .json({ error: `rig ${req.params.id} is not deployed: deploy it to see its installation` });
    const inst = rig.runtime?.installation;
    if (!inst) return res.status(409).json({ error: rig.configError ?? 'rig: not initialised' });
    const record = inst.record;
    res.json(
      record
        ? { installed: true, file: inst.file, record, text: describeInstallation(record, inst.file) }
        : { installed: false, file: inst.file, text: inst.refusal },
    );
  });
}
