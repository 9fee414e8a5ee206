/** Finds the rig config node a node is wired to, or says why it cannot be used. */
import type { Node, NodeAPI } from 'node-red';
import type { RigHardwareLimits } from '../../src/rig/hardware-limits';
import type { RigConfigNode, RigRuntime } from '../rig/rig-runtime';
import { short, status } from './node-support';

export function rigRuntime(RED: NodeAPI, rigNodeId: string | undefined): RigRuntime | string {
  if (!rigNodeId) return 'rig: no rig config node selected';
  const rig = RED.nodes.getNode(rigNodeId) as RigConfigNode | null;
  if (!rig) return `rig: config node ${rigNodeId} not found`;
  if (rig.configError) return rig.configError;
  return rig.runtime ?? 'rig: not initialised';
}

/**
 * The rig runtime for `node`; without one, the reason is logged and shown as a red status and the
 * caller returns early (the node stays deployed but inert).
 */
export function rigOrReport(RED: NodeAPI, node: Node, rigNodeId: string | undefined): RigRuntime | undefined {
  const rig = rigRuntime(RED, rigNodeId);
  if (typeof rig !== 'string') return rig;
  node.error(rig);
  node.status(status.error(short(rig)));
  return undefined;
}

/**
 * The rig's hardware limits from its installation record, or why there are none (a real rig not yet
 * installed, a damaged record): then nothing that needs them may run.
 */
export function installedHardware(rig: RigRuntime): { hardware?: RigHardwareLimits; notInstalled?: string } {
  const h = rig.installation.hardware();
  return h.ok ? { hardware: h.hardware } : { notInstalled: h.reason };
}
