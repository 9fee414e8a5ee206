/**
 * `cellrig edge`: a rig without Node-RED. Reads every channel's stack load cell on the simulated rig at
 * a fixed rate and publishes through the durable publisher (journal in CELLRIG_DATA). Used for load
 * tests and benchmarks, and on a Pi that only needs to stream its load cells. The work is in
 * edge-run.ts, loaded only when the command runs.
 */
import type { Command } from 'commander';
import { numberIn, onRun, standalone, subcommand } from './grammar';

export function register(program: Command): void {
  const cmd = subcommand(
    program,
    'edge',
    "stream the simulated rig's load cells through the durable publisher, without Node-RED",
  )
    .option('--rig <id>', 'rig id in topics (default RIG_ID, else rig01)')
    .option('--channels <n>', 'channels to read', numberIn({ min: 1, max: 8, integer: true }), 3)
    .option('--hz <rate>', 'readings per second per channel', numberIn({ min: 0.1, max: 50, unit: 'Hz' }), 1)
    .option('--seed <n>', "the simulated rig's random seed", numberIn({ min: 0, integer: true }), 1)
    .addHelpText(
      'after',
      '\nEnvironment: MQTT_URL (required), MQTT_USER, MQTT_PASSWORD, CELLRIG_DATA (journal folder).\n' +
        'Stops on SIGINT or SIGTERM. Exit codes: 0 stopped, 2 bad option or environment.',
    );
  onRun(cmd, async (opts: { rig?: string; channels: number; hz: number; seed: number }) =>
    (await import('./edge-run.js')).runEdge(opts),
  );
}

export const main = standalone('edge', register);
