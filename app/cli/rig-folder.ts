/**
 * What `cellrig calibrate` and `cellrig install` share: the data folder (CELLRIG_DATA), its flow file and
 * the channel's nodes in it, which rig and backend they mean, and the folder's lock, so the installation
 * record and the flows are never written while a cellrig runs on them.
 */
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { DataFolderInUse, type DataLock, lockDataFolder } from '../data-lock';
import { UsageError } from './grammar';

export type FlowNode = Record<string, unknown> & { id: string; type: string };

/** --data, else CELLRIG_DATA, else ./.cellrig (as cellrig start). */
export function dataFolder(option?: string): string {
  return option || process.env.CELLRIG_DATA || '.cellrig';
}

/** A flow value that Node-RED would take from the environment (`${VAR}`), as the running rig would see it. */
export const fromEnv = (v: unknown): string | undefined => {
  const s = typeof v === 'string' ? v : undefined;
  const m = s ? /^\$\{(\w+)\}$/.exec(s) : null;
  return (m ? process.env[m[1]!] : s) || undefined;
};

export function readFlows(file: string): FlowNode[] {
  if (!existsSync(file))
    throw new UsageError(`${file}: no flow file (give --flows or --data, or set CELLRIG_DATA)`);
  let flows: FlowNode[];
  try {
    flows = JSON.parse(readFileSync(file, 'utf8')) as FlowNode[];
  } catch (err) {
    throw new UsageError(`${file}: not a flow file (${(err as Error).message})`);
  }
  if (!Array.isArray(flows)) throw new UsageError(`${file}: not a flow file (not an array of nodes)`);
  return flows;
}

/** The channel's stack-pressure node and its rig node in a flow file, or a UsageError naming what is wrong. */
export function findChannel(
  file: string,
  channel: string,
): { flows: FlowNode[]; node: FlowNode; rig?: FlowNode } {
  const flows = readFlows(file);
  const nodes = flows.filter((n) => n.type === 'stack-pressure' && n.channel === channel);
  if (nodes.length !== 1) {
    const known = flows.filter((n) => n.type === 'stack-pressure').map((n) => String(n.channel));
    throw new UsageError(
      `${file}: ${nodes.length ? 'more than one' : 'no'} stack-pressure node for channel "${channel}" (channels: ${known.join(', ') || 'none'})`,
    );
  }
  const node = nodes[0]!;
  return { flows, node, rig: flows.find((n) => n.id === node.rig) };
}

/** The rig's id: --rig, else the rig node's (its `${RIG_ID}` resolved), else RIG_ID, else rig01 (as cellrig start). */
export function rigIdOf(option: string | undefined, rig: FlowNode | undefined): string {
  return option || fromEnv(rig?.rigId) || process.env.RIG_ID || 'rig01';
}

/** The only rig node of a flow file, if it has exactly one (a missing file is no rig node). */
export function soleRigNode(file: string): FlowNode | undefined {
  if (!existsSync(file)) return undefined;
  const rigs = readFlows(file).filter((n) => n.type === 'rig');
  return rigs.length === 1 ? rigs[0] : undefined;
}

/** The data folder (made if new) locked for a write; an Error saying so when a cellrig runs on it. */
export function lockForWrite(dir: string, what: string): DataLock {
  mkdirSync(dir, { recursive: true, mode: 0o700 });
  try {
    return lockDataFolder(dir);
  } catch (err) {
    if (err instanceof DataFolderInUse) throw new Error(`${what} needs cellrig stopped: ${err.message}`);
    throw err;
  }
}

export const flowFileIn = (dir: string, option?: string) => option ?? join(dir, 'flows.json');
