/**
 * `cellrig bridge`: the influx-writer without Node-RED, for a lab server that gathers every rig's
 * telemetry, and its dead-letter store (`cellrig bridge deadletters list|replay`). The work is in
 * bridge-run.ts, loaded only when the command runs.
 */
import type { Command } from 'commander';
import { numberIn, onRun, standalone, subcommand } from './grammar';

const ENV_HELP = `
Environment:
  MQTT_URL (required)          the broker every rig publishes to
  INFLUX_URL (required)        InfluxDB's v1 HTTP API (1.x, or 2.x/3 compatibility)
  INFLUX_DB                    database (default cellrig)
  BRIDGE_RIG                   only this rig's topics (default: every rig)
  BRIDGE_CLIENT_ID             MQTT client id and state folder name (default cellrig-writer-<rig or all>)
  MQTT_USER, MQTT_PASSWORD     the writer's broker login
  INFLUX_USER, INFLUX_PASSWORD the writer's InfluxDB login (write is enough)
  INFLUX_READ_USER, INFLUX_READ_PASSWORD  a read-only login, to read the watermarks back on start
  CELLRIG_DATA                 folder for the writer's state and dead letters (default ./.cellrig)
Stops cleanly on SIGINT or SIGTERM. Exit codes: 0 stopped, 2 bad environment.`;

export function register(program: Command): void {
  const bridge = subcommand(
    program,
    'bridge',
    "write every rig's telemetry from MQTT into InfluxDB, without Node-RED (env: MQTT_URL, INFLUX_URL)",
  ).addHelpText('after', ENV_HELP);
  onRun(bridge, async () => (await import('./bridge-run.js')).runBridge());

  const letters = subcommand(
    bridge,
    'deadletters',
    'what the writer could not write, kept on disk: list it, or replay it into InfluxDB',
  );
  const dirOption = [
    '--dir <folder>',
    'the dead-letter folder (default CELLRIG_DATA/writer/<client id>/deadletters)',
  ] as const;
  const list = subcommand(letters, 'list', 'list the letters not yet replayed')
    .option('--json', 'print them as a JSON array')
    .option(...dirOption);
  onRun(list, async (opts: { json?: boolean; dir?: string }) =>
    (await import('./bridge-run.js')).deadLetters('list', opts),
  );
  const replay = subcommand(
    letters,
    'replay',
    'write letters into InfluxDB again (INFLUX_URL, INFLUX_DB, INFLUX_USER, INFLUX_PASSWORD)',
  )
    .option(
      '--id <n...>',
      'only these letters (default: every one not yet replayed)',
      (v: string, prev: number[] | undefined) => [...(prev ?? []), numberIn({ min: 0, integer: true })(v)],
    )
    .option(...dirOption)
    .addHelpText('after', '\nExit codes: 0 all written, 1 some still refused, 2 INFLUX_URL missing.');
  onRun(replay, async (opts: { id?: number[]; dir?: string }) =>
    (await import('./bridge-run.js')).deadLetters('replay', opts),
  );
}

export const main = standalone('bridge', register);
