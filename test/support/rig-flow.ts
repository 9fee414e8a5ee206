/** Flow pieces the node tests share: the simulated rig config node and waiting for a real-time status. */
import { type FlowNode, lastStatus } from './node-red';

/** The rig config node `rig1` (rigId rig01) on the simulated rig, seed 1, no broker. */
export const simRig = (extra: Partial<FlowNode> = {}): FlowNode => ({
  id: 'rig1',
  type: 'rig',
  rigId: 'rig01',
  backend: 'sim',
  seed: 1,
  broker: '',
  ...extra,
});

/**
 * Polls in real time, every 250 ms for up to `timeoutMs`, until the node's last status text matches
 * `text` (e.g. johnny-five gives up on a missing serial port only after its 5 s connect timeout).
 * Returns either way: the caller asserts the status.
 */
export async function waitForStatus(node: unknown, text: RegExp, timeoutMs = 10_000): Promise<void> {
  for (let i = 0; i < timeoutMs / 250 && !text.test(lastStatus(node)?.text ?? ''); i++)
    await new Promise((r) => setTimeout(r, 250));
}
