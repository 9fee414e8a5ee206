/** What every cellrig node shares: the clock, statuses, and config validation with named fields. */
import type { Node, NodeAPI, NodeDef, NodeStatus } from 'node-red';
import type { z } from 'zod';
import { type Clock, RealClock } from '../../src/clock';
import { describeZodError } from '../../src/rig/config';

const realClock = new RealClock();

/** Tests put a VirtualClock in the runtime settings as `cellrigClock`; the rig runs on the real one. */
export function clockFor(RED: NodeAPI): Clock {
  const fromSettings = (RED.settings as unknown as { cellrigClock?: Clock }).cellrigClock;
  return fromSettings ?? realClock;
}

export const status = {
  ok: (text: string): NodeStatus => ({ fill: 'green', shape: 'dot', text }),
  warn: (text: string): NodeStatus => ({ fill: 'yellow', shape: 'ring', text }),
  error: (text: string): NodeStatus => ({ fill: 'red', shape: 'ring', text }),
  unavailable: (text = 'not available'): NodeStatus => ({ fill: 'grey', shape: 'ring', text }),
  idle: (text: string): NodeStatus => ({ fill: 'grey', shape: 'dot', text }),
};

/** Node status text is shown on the canvas: keep it short. */
export function short(text: string, max = 60): string {
  return text.length > max ? `${text.slice(0, max - 1)}…` : text;
}

/**
 * Validates a node's config. On failure the node goes red with the zod message (naming the field),
 * logs it, and the caller returns early: the node stays deployed but inert, never throwing.
 */
export function validateConfig<T>(
  node: Node,
  schema: z.ZodType<T>,
  raw: unknown,
  what: string,
): T | undefined {
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  const message = describeZodError(parsed.error, what);
  node.error(message);
  node.status(status.error(short(message)));
  return undefined;
}

export function errorMessage(err: unknown): string {
  return err instanceof Error ? err.message : String(err);
}

/**
 * registerType with credentials: @types/node-red wants the credential types as `unknown`, which would
 * force a cast at every use; the constructor's own typing is the one that matters.
 */
export function registerNode<N extends Node<object>, D extends NodeDef>(
  RED: NodeAPI,
  type: string,
  ctor: (this: N, def: D) => void,
  opts: { credentials: Record<string, { type: 'text' | 'password' }> },
): void {
  RED.nodes.registerType(type, ctor as unknown as Parameters<NodeAPI['nodes']['registerType']>[1], opts);
}
