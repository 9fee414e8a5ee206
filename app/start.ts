/**
 * `cellrig start`: Node-RED embedded in our own launcher, with the cellrig nodes, the default rig flow
 * on first start, and an embedded MQTT broker when none is configured. SIGINT/SIGTERM stop the flows
 * (every node goes to its safe state and the rig publishes `offline`), then the broker and the server.
 */
import { copyFileSync, existsSync, mkdirSync } from 'node:fs';
import { createServer } from 'node:http';
import { join, resolve } from 'node:path';
import express from 'express';
import RED from 'node-red';
import { type EmbeddedBroker, startEmbeddedBroker } from '../services/embedded-broker';
import { readEnv } from './env';

/** The package root: dist/app/start.js sits two levels below it. */
const packageRoot = resolve(__dirname, '..', '..');
const SHUTDOWN_LIMIT_MS = 4500;

export async function main(_argv: string[]): Promise<number> {
  const env = readEnv(process.env);
  const userDir = resolve(env.CELLRIG_DATA);
  mkdirSync(userDir, { recursive: true });
  const flowFile = join(userDir, 'flows.json');
  if (!existsSync(flowFile)) copyFileSync(join(packageRoot, 'flows', 'rig.json'), flowFile);

  let broker: EmbeddedBroker | undefined;
  if (!env.MQTT_URL) {
    broker = await startEmbeddedBroker('127.0.0.1', env.MQTT_PORT);
    console.log(`cellrig: embedded MQTT broker on ${broker.url}`);
  }
  // The flow's nodes read these through Node-RED's ${VAR} substitution.
  process.env.MQTT_URL = env.MQTT_URL ?? broker?.url ?? '';
  process.env.RIG_ID = env.RIG_ID;
  process.env.RIG_BACKEND = env.RIG_BACKEND ?? 'sim';
  process.env.RIG_SERIAL_PORT = env.RIG_SERIAL_PORT ?? '';
  process.env.INFLUX_DB = env.INFLUX_DB;
  process.env.INFLUX_URL = env.INFLUX_URL ?? '';

  const app = express();
  const server = createServer(app);
  RED.init(server, {
    userDir,
    flowFile: 'flows.json',
    nodesDir: [packageRoot],
    httpAdminRoot: '/',
    httpNodeRoot: '/api',
    uiHost: env.HOST,
    uiPort: env.PORT,
    // Unset: Node-RED generates a secret and keeps it in userDir; never `false` (plain-text credentials).
    ...(env.CELLRIG_CREDENTIAL_SECRET ? { credentialSecret: env.CELLRIG_CREDENTIAL_SECRET } : {}),
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
  } as never);
  app.use('/', RED.httpAdmin);
  app.use('/api', RED.httpNode);
  // Listen only once the runtime is up, so the first request finds a working editor.
  await RED.start();
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(env.PORT, env.HOST, () => ok());
  });
  const address = server.address();
  const port = typeof address === 'object' && address ? address.port : env.PORT;
  console.log(
    `cellrig: editor on http://${env.HOST}:${port}/  rig ${env.RIG_ID}  MQTT ${process.env.MQTT_URL}`,
  );

  return new Promise<number>((resolveExit) => {
    let stopping = false;
    const stop = async (signal: string) => {
      if (stopping) return;
      stopping = true;
      console.log(`cellrig: ${signal}: stopping flows (outputs to their safe state)`);
      const guard = setTimeout(() => {
        console.error('cellrig: shutdown took too long, exiting');
        resolveExit(1);
      }, SHUTDOWN_LIMIT_MS);
      try {
        await RED.stop();
        await broker?.close();
        server.closeAllConnections();
        await new Promise<void>((r) => server.close(() => r()));
        clearTimeout(guard);
        console.log('cellrig: stopped');
        resolveExit(0);
      } catch (err) {
        clearTimeout(guard);
        console.error(`cellrig: error while stopping: ${(err as Error).message}`);
        resolveExit(1);
      }
    };
    // on, not once: a second Ctrl-C during the shutdown must not kill the process before outputs are safe.
    process.on('SIGINT', () => void stop('SIGINT'));
    process.on('SIGTERM', () => void stop('SIGTERM'));
  });
}
