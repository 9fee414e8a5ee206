/**
 * `cellrig start`: Node-RED embedded in our own launcher, with the cellrig nodes, the default rig flow
 * on first start, and an embedded MQTT broker when none is configured. Whole or not at all: the data
 * folder is locked and writable, the editor's port bound and the broker reached before any flow starts;
 * any of them failing ends the process non-zero with the variable named. SIGINT/SIGTERM stop the flows
 * (every node goes to its safe state and the rig publishes `offline`), then the broker and the server.
 */
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync } from 'node:fs';
import { createServer } from 'node:http';
import type { Socket } from 'node:net';
import { join, resolve } from 'node:path';
import express from 'express';
import { isLoopback, startEmbeddedBroker } from '../services/embedded-broker';
import { systemd } from '../services/systemd-notify';
import { CREDENTIAL_SECRET_FILE, credentialSecret, prepareCredentialsFile } from './credential-secret';
import { DataFolderInUse, lockDataFolder } from './data-lock';
import { allowedHosts, guardServer } from './editor-guard';
import { type Env, readEnv } from './env';
import { Lifecycle, StartInterrupted } from './lifecycle';
import { dropMqttPacketNumberCache } from './mqtt-packet-memory';
import { NODES_EXCLUDED } from './palette';
import {
  listenError,
  listenOrExplain,
  prepareDataFolder,
  probeBroker,
  redactUrl,
  StartError,
} from './preflight';

/** The package root: dist/app/start.js sits two levels below it. */
const packageRoot = resolve(__dirname, '..', '..');
/** Within the 5 s a supervisor (or a person at Ctrl-C) may wait, with room for the process to end. */
const SHUTDOWN_LIMIT_MS = 4500;
/** A start that cannot reach its broker ends within 5 s of the process starting, loading included. */
const BROKER_DEADLINE_MS = 4000;
const EMBEDDED_WRITER_USER = 'cellrig-writer';

const log = {
  info: (m: string) => console.log(`cellrig: ${m}`),
  error: (m: string) => console.error(`cellrig: ${m}`),
};

/** Runs the rig until a signal; resolves with the exit code (the caller ends the process). */
export async function main(): Promise<number> {
  const env = readEnv(process.env);
  // Everything the rig writes (credentials, the runtime's secret, sessions, journal) is its owner's alone.
  process.umask(0o077);
  const life = new Lifecycle(SHUTDOWN_LIMIT_MS, log);
  try {
    await startRig(env, life);
  } catch (err) {
    // Stopped by a signal while starting: the stop decides the exit code, not what the stop cut short.
    if (err instanceof StartInterrupted || life.stopRequested) return life.finished;
    const named = err instanceof StartError || err instanceof DataFolderInUse;
    log.error(named ? err.message : `start failed: ${(err as Error).stack ?? err}`);
    return Math.max(1, await life.stop('start failed', 1));
  }
  return life.finished;
}

async function startRig(env: Env, life: Lifecycle): Promise<void> {
  const userDir = resolve(env.CELLRIG_DATA);
  prepareDataFolder(userDir, env.RIG_ID);
  // Before the broker or any client writes a packet (app/mqtt-packet-memory.ts: 6.5 MB of heap).
  dropMqttPacketNumberCache();
  const lock = lockDataFolder(userDir);
  life.onStop('data folder lock', () => lock.release());
  const flowFile = join(userDir, 'flows.json');
  if (!existsSync(flowFile)) {
    copyFileSync(join(packageRoot, 'flows', 'rig.json'), flowFile);
    chmodSync(flowFile, 0o600); // a copy keeps the package's mode
  }
  const credentials = credentialSecret(env.CELLRIG_CREDENTIAL_SECRET, userDir);
  if (credentials.source === 'generated')
    log.info(
      `generated the key for the flows' credentials: ${join(userDir, CREDENTIAL_SECRET_FILE)} (keep it with the folder)`,
    );
  prepareCredentialsFile(userDir, credentials.secret);

  // The editor's port first, answering 503 until the flows run: a taken port ends the start before any
  // flow drives an output, and the first request never finds a half-made editor.
  const app = express();
  let ready = false;
  app.use((_req, res, next) => (ready ? next() : res.status(503).send('cellrig is starting\n')));
  const server = createServer(app);
  // Host and Origin checked before anything on the server sees a request (app/editor-guard.ts). Set
  // again once the port is bound (PORT=0 picks one); no request arrives before.
  let allowed = allowedHosts({ host: env.HOST, port: env.PORT, hostnames: [], login: false });
  guardServer(server, () => allowed);
  // Every socket, so the stop can end the ones close() does not: keep-alives and the editor's websocket.
  const sockets = new Set<Socket>();
  server.on('connection', (s) => {
    sockets.add(s);
    s.once('close', () => sockets.delete(s));
  });
  const port = await life.start('editor server', listenOrExplain(server, env.PORT, env.HOST, 'PORT'), () =>
    closeServer(server, sockets),
  );
  allowed = allowedHosts({
    host: env.HOST,
    port,
    hostnames: env.CELLRIG_HOSTNAMES,
    login: Boolean(env.CELLRIG_ADMIN_PASSWORD_HASH),
  });

  let mqttUrl = env.MQTT_URL;
  if (mqttUrl) {
    await life.start(
      'broker probe',
      probeBroker(
        mqttUrl,
        { username: env.MQTT_USER, password: env.MQTT_PASSWORD, clientId: `cellrig-${env.RIG_ID}-probe` },
        Math.round(Math.max(1000, BROKER_DEADLINE_MS - process.uptime() * 1000)),
      ).catch((err: unknown) => {
        // Without MQTT_USER the rig node's own credentials may still be right: say so, and go on.
        if (err instanceof StartError && err.variable === 'MQTT_USER' && !env.MQTT_USER) {
          log.info(`${err.message}; the rig node's own login will be tried`);
          return;
        }
        throw err;
      }),
    );
  } else {
    // The in-process writer gets a login of its own, made up per start: only it may publish acks.
    const writerPassword = randomBytes(24).toString('base64url');
    const users: Record<string, string> = { [EMBEDDED_WRITER_USER]: writerPassword };
    if (env.MQTT_USER && env.MQTT_PASSWORD) users[env.MQTT_USER] = env.MQTT_PASSWORD;
    const host = env.MQTT_HOST ?? env.HOST;
    const listening = startEmbeddedBroker(host, env.MQTT_PORT, {
      users,
      writerUser: EMBEDDED_WRITER_USER,
    }).catch((err: NodeJS.ErrnoException) => {
      throw listenError(err, env.MQTT_PORT, host, 'MQTT_PORT');
    });
    const broker = await life.start('embedded broker', listening, (b) => b.close());
    process.env.MQTT_WRITER_USER = EMBEDDED_WRITER_USER;
    process.env.MQTT_WRITER_PASSWORD = writerPassword;
    // A broker on a wildcard address is reached over loopback from this process.
    mqttUrl = broker.url.replace(/\/\/(0\.0\.0\.0|\[::\])/, '//127.0.0.1');
    log.info(`embedded MQTT broker on ${broker.url}${isLoopback(host) ? '' : ' (logins required)'}`);
  }
  // The flow's nodes read these through Node-RED's ${VAR} substitution.
  process.env.MQTT_URL = mqttUrl;
  process.env.RIG_ID = env.RIG_ID;
  process.env.RIG_BACKEND = env.RIG_BACKEND ?? 'sim';
  process.env.RIG_SERIAL_PORT = env.RIG_SERIAL_PORT ?? '';
  // The simulated oven runs a 9.2 h profile in about 9 min unless told otherwise; a real one in real time.
  process.env.CELLRIG_SIM_OVEN_SCALE = String(
    env.CELLRIG_SIM_OVEN_SCALE ?? ((env.RIG_BACKEND ?? 'sim') === 'sim' ? 60 : 1),
  );
  process.env.INFLUX_DB = env.INFLUX_DB;
  process.env.INFLUX_URL = env.INFLUX_URL ?? '';

  // Loaded only now: a start that fails above fails in well under a second.
  const RED = (await import('node-red')).default;
  RED.init(server, nodeRedSettings(env, userDir, credentials.secret) as never);
  app.use('/', RED.httpAdmin);
  app.use('/', RED.httpNode);
  await life.start('flows', RED.start(), () => RED.stop());
  ready = true;
  log.info(`editor on http://${env.HOST}:${port}/  rig ${env.RIG_ID}  MQTT ${redactUrl(mqttUrl)}`);
  // Under systemd (Type=notify): running now; STOPPING=1 first when the stop begins (steps stop last in,
  // first out). The watchdog pings come from the rig's heartbeat, only while its control loops are healthy.
  life.onStop('systemd notification', async () => {
    await systemd.stopping();
  });
  void systemd.ready(`rig ${env.RIG_ID}`);
}

function nodeRedSettings(env: Env, userDir: string, credentialSecret: string) {
  return {
    userDir,
    // Absolute: a relative name is looked for in the working folder first (a flows.json there would win).
    flowFile: join(userDir, 'flows.json'),
    nodesDir: [packageRoot],
    httpAdminRoot: '/',
    // Node-RED's own default: the live panel (Dashboard 2.0) on /panel, beside the editor on /.
    httpNodeRoot: '/',
    uiHost: env.HOST,
    uiPort: env.PORT,
    // Ours (app/credential-secret.ts), never Node-RED's generated one nor `false` (plain-text credentials).
    credentialSecret,
    ...(env.CELLRIG_ADMIN_USER && env.CELLRIG_ADMIN_PASSWORD_HASH
      ? {
          adminAuth: {
            type: 'credentials',
            users: [
              {
                username: env.CELLRIG_ADMIN_USER,
                password: env.CELLRIG_ADMIN_PASSWORD_HASH,
                permissions: '*',
              },
            ],
          },
        }
      : {}),
    logging: { console: { level: 'info', metrics: false, audit: false } },
    editorTheme: { tours: false, projects: { enabled: false } },
    functionGlobalContext: {},
    // Left out of the palette (app/palette.ts says why, node by node): core nodes that run commands or
    // write files, core nodes for formats the rig does not speak (their parsers load at start), dev-only
    // node modules. A deploy must not reach the files beside the flows (the installation record the
    // safety layer judges by, the credential key): no such core node, no module (fs, child_process) in a
    // function node, no palette install.
    nodesExcludes: NODES_EXCLUDED,
    functionExternalModules: false,
    externalModules: {
      autoInstall: false,
      palette: { allowInstall: false, allowUpload: false },
      modules: { allowInstall: false },
    },
    // Read by the analysis pool (nodes/shared/analysis.ts); unset fields keep its defaults.
    cellrigAnalysis: {
      // One worker unless asked: each is a V8 isolate of about 18 MB, and a second takes the edge process
      // with the panel open from about 148 to 168 MB RSS, over its 150 MB budget (bench/panel).
      threads: env.CELLRIG_ANALYSIS_THREADS ?? 1,
      queue: env.CELLRIG_ANALYSIS_QUEUE,
      timeoutMs:
        env.CELLRIG_ANALYSIS_TIMEOUT_S === undefined ? undefined : env.CELLRIG_ANALYSIS_TIMEOUT_S * 1000,
    },
  };
}

/** Closes the editor's server with every connection: keep-alives and upgraded websockets included. */
async function closeServer(server: ReturnType<typeof createServer>, sockets: Set<Socket>): Promise<void> {
  const closed = new Promise<void>((r) => server.close(() => r()));
  for (const s of sockets) s.destroy();
  await closed;
}
