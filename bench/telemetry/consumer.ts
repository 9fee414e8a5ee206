/**
 * One MQTT -> InfluxDB consumer for the side-by-side bench, in a process of its own so its CPU can be
 * read from /proc: `cellrig` (the influx-writer service) or `node-red` (a stock Node-RED 4 flow,
 * `mqtt in` -> node-red-contrib-influxdb's `influxdb out`, in a real embedded runtime). Everything is
 * loaded first and `READY` printed; the consumer connects only when a line arrives on stdin, so the
 * CPU the bench measures from then on is the consumer's work on the messages, not its start-up.
 *
 *   node dist/bench/telemetry/consumer.js cellrig|node-red MQTT_URL INFLUX_URL DB CLIENT_ID DIR
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { InfluxWriter } from '../../services/influx-writer';
import { RealClock } from '../../src/clock';
import { writerConfigSchema } from '../../src/telemetry/writer-config';

const [kind, mqttUrl, influxUrl, db, clientId, dir] = process.argv.slice(2) as string[];

function whenGo(): Promise<void> {
  return new Promise((resolve) => process.stdin.once('data', () => resolve()));
}

async function cellrig(): Promise<void> {
  const writer = new InfluxWriter(
    writerConfigSchema.parse({
      brokerUrl: mqttUrl,
      influxUrl,
      database: db,
      rig: '',
      clientId,
      batchSize: 5000,
    }),
    new RealClock(),
    {},
    { dir: dir as string },
  );
  process.stdout.write('READY\n');
  await whenGo();
  writer.start();
}

/** The flow a Node-RED user would wire: every pressure sample into one measurement, as it comes. */
function stockFlow(): unknown[] {
  const { hostname, port } = new URL(mqttUrl as string);
  const influx = new URL(influxUrl as string);
  return [
    { id: 'tab', type: 'tab', label: 'stock' },
    {
      id: 'broker',
      type: 'mqtt-broker',
      broker: hostname,
      port,
      clientid: clientId,
      autoConnect: true,
      usetls: false,
      protocolVersion: '4',
      keepalive: '60',
      cleansession: false,
    },
    {
      id: 'in',
      type: 'mqtt in',
      z: 'tab',
      topic: 'cellrig/v1/+/+/pressure',
      qos: '1',
      datatype: 'json',
      broker: 'broker',
      wires: [['out']],
    },
    {
      id: 'db',
      type: 'influxdb',
      hostname: influx.hostname,
      port: influx.port,
      protocol: 'http',
      database: db,
      influxdbVersion: '1.x',
    },
    { id: 'out', type: 'influxdb out', z: 'tab', influxdb: 'db', measurement: 'pressure', wires: [] },
  ];
}

async function nodeRed(): Promise<void> {
  const RED = (await import('node-red')).default;
  const userDir = join(dir as string, 'node-red');
  mkdirSync(userDir, { recursive: true });
  writeFileSync(join(userDir, 'flows.json'), '[]');
  RED.init(
    undefined as never,
    {
      userDir,
      flowFile: 'flows.json',
      httpAdminRoot: false,
      httpNodeRoot: false,
      disableEditor: true,
      credentialSecret: 'bench-bench-bench-bench',
      nodesDir: [join(require.resolve('node-red-contrib-influxdb/package.json'), '..')],
      logging: { console: { level: 'error', metrics: false, audit: false } },
    } as never,
  );
  await RED.start();
  process.stdout.write('READY\n');
  await whenGo();
  const nodes = RED.nodes as unknown as {
    setFlows(flows: unknown[], creds: unknown, type: string): Promise<unknown>;
  };
  await nodes.setFlows(stockFlow(), null, 'full');
}

(kind === 'node-red' ? nodeRed() : cellrig()).catch((err: unknown) => {
  process.stderr.write(`consumer: ${(err as Error).stack ?? err}\n`);
  process.exit(1);
});
process.on('SIGTERM', () => process.exit(0));
