/**
 * What `cellrig start` checks before any flow runs, each failure a StartError that names the variable:
 * the data folder and the rig's journal folder are writable, a port can be bound, the broker answers.
 */
import { chmodSync, lstatSync, mkdirSync, readdirSync, unlinkSync, writeFileSync } from 'node:fs';
import type { Server } from 'node:http';
import { join } from 'node:path';
import mqtt from 'mqtt';

/** A start-up failure: its message names the variable (or port) to change. */
export class StartError extends Error {
  constructor(
    message: string,
    readonly variable?: string,
  ) {
    super(message);
  }
}

/**
 * Creates CELLRIG_DATA and the rig's journal folder, and proves both writable. Both, and everything
 * already in them, become the owner's alone (folders 0700, files 0600): the credentials file and the
 * runtime's secret among them (files an older cellrig wrote 0644 included).
 */
export function prepareDataFolder(dir: string, rigId: string): void {
  const journal = join(dir, 'journal', rigId);
  for (const [folder, what] of [
    [dir, 'the folder'],
    [journal, `the telemetry journal folder journal/${rigId}`],
  ] as const) {
    try {
      mkdirSync(folder, { recursive: true, mode: 0o700 });
      const probe = join(folder, `.write-probe-${process.pid}`);
      writeFileSync(probe, '');
      unlinkSync(probe);
    } catch (err) {
      throw new StartError(`CELLRIG_DATA ${dir}: cannot write ${what} (${describe(err)})`);
    }
  }
  try {
    ownerOnly(dir);
  } catch (err) {
    throw new StartError(`CELLRIG_DATA ${dir}: cannot make it the owner's alone (${describe(err)})`);
  }
}

/**
 * chmod 0700 for folders and 0600 for files (0700 for executables) under `path`. Symbolic links and
 * installed palette modules (node_modules: code, not secrets, behind the 0700 folder anyway) are left.
 */
function ownerOnly(path: string): void {
  const st = lstatSync(path);
  if (st.isSymbolicLink()) return;
  const mode = st.isDirectory() || st.mode & 0o100 ? 0o700 : 0o600;
  if ((st.mode & 0o777) !== mode) chmodSync(path, mode);
  if (st.isDirectory()) for (const e of readdirSync(path)) if (e !== 'node_modules') ownerOnly(join(path, e));
}

/** Binds `server`; a taken or forbidden port or a foreign address is a StartError naming `variable`. */
export async function listenOrExplain(
  server: Pick<Server, 'listen' | 'once' | 'off' | 'address'>,
  port: number,
  host: string,
  variable: string,
): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => reject(listenError(err, port, host, variable));
    server.once('error', onError);
    server.listen(port, host, () => {
      server.off('error', onError);
      resolve();
    });
  });
  const address = server.address();
  return typeof address === 'object' && address ? address.port : port;
}

export function listenError(err: NodeJS.ErrnoException, port: number, host: string, variable: string) {
  switch (err.code) {
    case 'EADDRINUSE':
      return new StartError(`${variable} ${port}: ${host}:${port} is already in use by another program`);
    case 'EACCES':
      return new StartError(`${variable} ${port}: not allowed to listen on ${host}:${port} (EACCES)`);
    case 'EADDRNOTAVAIL':
    case 'ENOTFOUND':
      return new StartError(`HOST ${host}: not an address of this machine (${err.code})`);
    default:
      return new StartError(`${variable} ${port}: cannot listen on ${host}:${port} (${describe(err)})`);
  }
}

/**
 * Connects to the broker once, as the rig will, and disconnects. Refused, unresolvable, silent past
 * `timeoutMs`, or a refused login: a StartError naming MQTT_URL (or MQTT_USER).
 */
export async function probeBroker(
  url: string,
  login: { username?: string; password?: string; clientId: string },
  timeoutMs: number,
): Promise<void> {
  const shown = redactUrl(url);
  let client: mqtt.MqttClient;
  try {
    client = mqtt.connect(url, {
      clientId: login.clientId,
      username: login.username || undefined,
      password: login.password || undefined,
      clean: true,
      reconnectPeriod: 0,
      // Past our own limit, so the message is ours ("no answer within ..."), not a bare close.
      connectTimeout: timeoutMs + 1000,
    });
  } catch (err) {
    throw new StartError(`MQTT_URL ${shown}: ${describe(err)}`, 'MQTT_URL');
  }
  try {
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new StartError(`MQTT_URL ${shown}: no answer from the broker within ${timeoutMs} ms`, 'MQTT_URL'),
          ),
        timeoutMs,
      );
      const fail = (message: string, variable = 'MQTT_URL') => {
        clearTimeout(timer);
        reject(new StartError(message, variable));
      };
      client.once('connect', () => {
        clearTimeout(timer);
        resolve();
      });
      client.once('error', (err: Error & { code?: string | number }) => {
        // CONNACK codes 4 and 5 (MQTT 3.1.1), 134 and 135 (MQTT 5): the login, not the address.
        if ([4, 5, 134, 135].includes(err.code as number))
          fail(`MQTT_USER: the broker at ${shown} refused the login (${err.message})`, 'MQTT_USER');
        else fail(`MQTT_URL ${shown}: broker not reachable (${describe(err)})`);
      });
      client.once('close', () =>
        fail(`MQTT_URL ${shown}: the broker closed the connection before accepting it`),
      );
    });
  } finally {
    client.end(true);
  }
}

/** The URL without its password, for messages and logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (!u.password) return url;
    u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}

function describe(err: unknown): string {
  const e = err as NodeJS.ErrnoException;
  return e.code && typeof e.code === 'string' ? `${e.code}: ${e.message}` : String(e?.message ?? err);
}
