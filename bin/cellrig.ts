#!/usr/bin/env node
/** The `cellrig` command: each subcommand lives in app/ and is loaded only when asked for. */
type Command = { describe: string; load: () => Promise<{ main(argv: string[]): Promise<number> }> };

const commands: Record<string, Command> = {
  start: {
    describe: 'run Node-RED with the cellrig nodes and the default rig flow',
    load: () => import('../app/start.js'),
  },
  bridge: {
    describe:
      "write every rig's telemetry from MQTT into InfluxDB, without Node-RED (env: MQTT_URL, INFLUX_URL)",
    load: () => import('../app/cli/bridge.js'),
  },
  edge: {
    describe: "stream the simulated rig's load cells through the durable publisher, without Node-RED",
    load: () => import('../app/cli/edge.js'),
  },
  'hash-password': {
    describe: 'print the bcrypt hash of a password read from stdin (for CELLRIG_ADMIN_PASSWORD_HASH)',
    load: () => import('../app/cli/hash-password.js'),
  },
  sim: {
    describe:
      'try control settings on the simulated rig: sim pressure | profile | cells (`cellrig sim help`)',
    load: () => import('../app/cli/sim.js'),
  },
  eis: {
    describe: 'impedance spectra: read, fit, validate (Kramers-Kronig), drt (run `cellrig eis help`)',
    load: () => import('../app/cli/eis.js'),
  },
  health: {
    describe: 'verdict per cell: retention, R_CAT growth, soft short, alerts (DIR [--json])',
    load: () => import('../app/cli/health.js'),
  },
};

async function run(argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  const cmd = name ? commands[name] : undefined;
  if (!cmd) {
    const list = Object.entries(commands)
      .map(([n, c]) => `  cellrig ${n.padEnd(8)} ${c.describe}`)
      .join('\n');
    process.stderr.write(`${name ? `unknown command '${name}'\n` : ''}usage:\n${list}\n`);
    return name ? 2 : 0;
  }
  return (await cmd.load()).main(rest);
}

run(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`cellrig: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 1;
  },
);
