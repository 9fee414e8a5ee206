/** `rig` config node: a rig's id, IO backend and MQTT link, shared by every node wired to that rig. */
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { NodeAPI, NodeDef } from 'node-red';
import { z } from 'zod';
import { RigInstallation } from '../../devices/rig-installation';
import { describeZodError, rigConfigSchema } from '../../src/rig/config';
import { clockFor, registerNode } from '../shared/node-support';
import { registerInstallationApi } from './installation-api';
import { registerProbeApi } from './probe-api';
import { type RigConfigNode, RigRuntime } from './rig-runtime';

type RigDef = NodeDef & {
  rigId: string;
  backend: string;
  serialPort?: string;
  heartbeatPin?: string | number;
  i2cBus?: string | number;
  gpioChip?: string;
  seed: string | number;
  broker: string;
};

const brokerSchema = z
  .string()
  .trim()
  .refine((v) => v === '' || /^(mqtts?|wss?|tcp):\/\//.test(v), 'broker must be empty or an mqtt:// URL');

/** Empty, or a `${VAR}` Node-RED left as it was because VAR is not set (the default flow's backend). */
const unset = (v: string | undefined): string | undefined => (!v || /^\$\{\w+\}$/.test(v) ? undefined : v);

export default function register(RED: NodeAPI): void {
  function RigNode(this: RigConfigNode, def: RigDef) {
    RED.nodes.createNode(this, def);
    const parsed = rigConfigSchema.safeParse({
      rigId: def.rigId,
      backend: unset(def.backend) ?? 'sim',
      serialPort: unset(def.serialPort),
      heartbeatPin: def.heartbeatPin === '' ? undefined : def.heartbeatPin,
      i2cBus: def.i2cBus === '' ? undefined : def.i2cBus,
      gpioChip: unset(def.gpioChip),
      seed: def.seed || 1,
    });
    const broker = brokerSchema.safeParse(def.broker ?? '');
    if (!parsed.success || !broker.success) {
      const err = !parsed.success ? parsed.error : (broker as { error: z.ZodError }).error;
      this.configError = describeZodError(err, `rig config "${def.name || def.id}"`);
      this.error(this.configError);
      return;
    }
    const clock = clockFor(RED);
    const dataDir = RED.settings.userDir ?? join(tmpdir(), 'cellrig');
    // Loaded once, as the rig starts: no deploy or message changes it (devices/rig-installation.ts).
    const installation = RigInstallation.open({
      dataDir,
      rigId: parsed.data.rigId,
      backend: parsed.data.backend,
      now: () => clock.now(),
    });
    if (installation.refusal) this.warn(installation.refusal);
    const runtime = new RigRuntime(
      parsed.data,
      clock,
      {
        brokerUrl: broker.data,
        // The node's credentials, else the launcher's environment (containers pass secrets that way).
        username: this.credentials?.username || process.env.MQTT_USER,
        password: this.credentials?.password || process.env.MQTT_PASSWORD,
        // Beside the flows in Node-RED's user folder, so a restart finds what was not yet delivered.
        journalDir: join(dataDir, 'journal', parsed.data.rigId),
        onAlarm: (message: string) => this.error(`telemetry: ${message}`),
      },
      installation,
    );
    this.runtime = runtime;
    this.on('close', (_removed: boolean, done: () => void) => {
      runtime.close().then(done, done);
    });
  }
  registerProbeApi(RED);
  registerInstallationApi(RED);
  registerNode(RED, 'rig', RigNode, {
    credentials: { username: { type: 'text' }, password: { type: 'password' } },
  });
  // The editor labels a rig whose id is `${RIG_ID}` with the value the runtime substitutes.
  RED.httpAdmin.get(
    '/cellrig/rig/env',
    RED.auth.needsPermission('rig.read'),
    (_req: unknown, res: { json(body: unknown): void }) => {
      res.json(process.env.RIG_ID ? { RIG_ID: process.env.RIG_ID } : {});
    },
  );
}
