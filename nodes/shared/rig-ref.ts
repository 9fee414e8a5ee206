/** Finds the rig config node a node is wired to, or says why it cannot be used. */
import type { NodeAPI } from 'node-red';
import type { RigConfigNode, RigRuntime } from '../rig/rig-runtime';

export function rigRuntime(RED: NodeAPI, rigNodeId: string | undefined): RigRuntime | string {
  if (!rigNodeId) return 'rig: no rig config node selected';
  const rig = RED.nodes.getNode(rigNodeId) as RigConfigNode | null;
  if (!rig) return `rig: config node ${rigNodeId} not found`;
  if (rig.configError) return rig.configError;
  return rig.runtime ?? 'rig: not initialised';
}
