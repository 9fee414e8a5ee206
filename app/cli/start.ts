/**
 * `cellrig start` on the command grammar: no options (everything is set by environment variable), so
 * `--help` prints its usage and any argument is a usage error. The launcher (app/start.ts) loads only
 * when it runs; the process ends when the launcher is done, whatever handles Node-RED leaves behind.
 */
import type { Command } from 'commander';
import { onRun, subcommand } from './grammar';

const HELP_AFTER = `
Runs Node-RED with the cellrig nodes and the default rig flow (copied to CELLRIG_DATA/flows.json on
first start). Configured by environment variables only (docs/configuration.md):
  PORT (1880), HOST (127.0.0.1), CELLRIG_HOSTNAMES, MQTT_URL (unset: embedded broker on MQTT_PORT,
  1883), MQTT_USER, MQTT_PASSWORD, INFLUX_URL, INFLUX_DB, INFLUX_USER, INFLUX_PASSWORD, RIG_ID (rig01),
  CELLRIG_DATA (./.cellrig), CELLRIG_CREDENTIAL_SECRET, CELLRIG_ADMIN_USER, CELLRIG_ADMIN_PASSWORD_HASH,
  CELLRIG_ANALYSIS_THREADS (1), CELLRIG_ANALYSIS_QUEUE (4), CELLRIG_ANALYSIS_TIMEOUT_S (120)
Before any flow runs it checks the data folder (writable, not in use by another cellrig), the ports
and the broker. Exit codes: 0 stopped by SIGINT/SIGTERM (outputs safe, offline status sent),
1 a start check failed (the variable is named) or the stop took over 4.5 s, 2 bad arguments.`;

export function register(program: Command): void {
  const cmd = subcommand(program, 'start', 'run Node-RED with the cellrig nodes and the default rig flow');
  cmd.addHelpText('after', HELP_AFTER);
  onRun(cmd, async () => {
    const code = await (await import('../start.js')).main();
    // Node-RED leaves timers (an editor login's session expiry) that would keep the process alive.
    process.exit(code);
  });
}
