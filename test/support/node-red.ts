/** Running flows in a real Node-RED runtime through node-red-node-test-helper. */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import helper from 'node-red-node-test-helper';
import influxWriter from '../../nodes/influx-writer/influx-writer';
import rig from '../../nodes/rig/rig';
import stackPressure from '../../nodes/stack-pressure/stack-pressure';
import telemetryOut from '../../nodes/telemetry-out/telemetry-out';
import type { Clock } from '../../src/clock';

helper.init(require.resolve('node-red'));

export type FlowNode = Record<string, unknown> & { id: string; type: string };

export const nodeModules = { rig, stackPressure, telemetryOut, influxWriter };

/** Every node the package registers (package.json `node-red.nodes`), loaded from source. */
export async function packageNodeModules(): Promise<unknown[]> {
  const pkg = JSON.parse(readFileSync(join(__dirname, '../../package.json'), 'utf8')) as {
    'node-red': { nodes: Record<string, string> };
  };
  const names = Object.keys(pkg['node-red'].nodes);
  return Promise.all(names.map(async (n) => (await import(`../../nodes/${n}/${n}.ts`)).default));
}

export async function startFlow(
  modules: unknown[],
  flow: FlowNode[],
  opts: {
    clock?: Clock;
    credentials?: Record<string, unknown>;
    settings?: Record<string, unknown>;
    /** Runs on the fresh user folder before the flow loads (e.g. to write an installation record). */
    prepare?: (userDir: string) => void;
  } = {},
): Promise<typeof helper> {
  // A user folder per flow, so journals of one test never leak into the next.
  userDir = mkdtempSync(join(tmpdir(), 'cellrig-nr-'));
  opts.prepare?.(userDir);
  helper.settings({ cellrigClock: opts.clock, userDir, ...opts.settings });
  await new Promise<void>((resolve) => helper.startServer(() => resolve()));
  await helper.load(modules as never, flow as never, (opts.credentials ?? {}) as never);
  return helper;
}

let userDir: string | undefined;

export async function stopFlow(): Promise<void> {
  await helper.unload();
  await new Promise<void>((resolve) => helper.stopServer(() => resolve()));
  if (userDir) rmSync(userDir, { recursive: true, force: true });
  userDir = undefined;
}

type Spy = { args?: unknown[][]; thisValues?: unknown[] };

/** Calls of a Node method made by this node: the helper spies on the shared prototype, so filter by `this`. */
function callsBy(node: unknown, method: 'status' | 'error' | 'warn'): unknown[][] {
  const spy = (node as Record<string, Spy>)[method] as Spy;
  const args = spy.args ?? [];
  const self = node as { id: string };
  return args.filter((_, i) => (spy.thisValues?.[i] as { id?: string } | undefined)?.id === self.id);
}

export type Status = { fill?: string; shape?: string; text?: string };

/** Status calls a node made, in order. */
export function statuses(node: unknown): Status[] {
  return callsBy(node, 'status').map((a) => a[0] as Status);
}

export function lastStatus(node: unknown) {
  const all = statuses(node);
  return all[all.length - 1];
}

/** Error log lines a node wrote. */
export function errors(node: unknown): string[] {
  return callsBy(node, 'error').map((a) => String(a[0]));
}

export { helper };
