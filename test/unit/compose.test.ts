/**
 * No Docker engine runs here, so the Dockerfile and the compose files are checked against the
 * repository instead: base images from tags the official image publishes, a health check the image
 * can run, no secret in the build context, the services and images, every mounted path, the volumes,
 * the ports against the servers' own configs, Grafana's provisioning against the files it loads,
 * secrets only as required variables, and a lab server that starts no rig.
 */
import { execFile } from 'node:child_process';
import { existsSync, readFileSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import dockerignore from '@balena/dockerignore';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { buildProgram } from '../../app/cli/program';
import { readEnv } from '../../app/env';
import { INFLUX_DATASOURCE_UID } from '../../dashboards/influxql';

const ROOT = join(__dirname, '..', '..');
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');

type Service = {
  image?: string;
  build?: { context: string; dockerfile?: string };
  entrypoint?: string[];
  environment?: Record<string, string>;
  volumes?: string[];
  ports?: string[];
  depends_on?: string[];
  devices?: string[];
  healthcheck?: { disable?: boolean };
};
type Compose = { name: string; services: Record<string, Service>; volumes: Record<string, unknown> };

const loadCompose = (file: string) => parse(read(file), { merge: true }) as Compose;
const compose = loadCompose('docker-compose.yml');
const rigCompose = loadCompose('compose.rig.yml');
const simCompose = loadCompose('compose.sim-rig.yml');
const service = (c: Compose, file: string, name: string): Service => {
  const s = c.services[name];
  if (!s) throw new Error(`${file} has no service ${name}`);
  return s;
};
const svc = (name: string) => service(compose, 'docker-compose.yml', name);
const runsRig = (s: Service) => (s.entrypoint ?? []).join(' ') === 'cellrig start';

/** `./host:/container[:ro]` -> {host, container}; a named volume has no leading `.` or `/`. */
function mounts(s: Service) {
  return (s.volumes ?? []).map((v) => {
    const [host, container, mode] = v.split(':') as [string, string, string | undefined];
    return { host, container, mode, bind: host.startsWith('.') || host.startsWith('/') };
  });
}

/** Published ports as {hostIp, host, container}. */
function ports(s: Service) {
  return (s.ports ?? []).map((p) => {
    const parts = p.split(':');
    const container = Number(parts.pop());
    const host = Number(parts.pop());
    return { hostIp: parts.pop(), host, container };
  });
}

const envRefs = (text: string) => [...text.matchAll(/\$\{?([A-Z][A-Z0-9_]*)/g)].map((m) => m[1] as string);

/** Dockerfile instructions, with continuation lines joined and comments dropped. */
function dockerfileInstructions(text: string): { op: string; args: string }[] {
  const joined = text.replace(/\\\n/g, ' ');
  return joined
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('#'))
    .map((l) => {
      const [op, ...rest] = l.split(/\s+/);
      return { op: (op as string).toUpperCase(), args: rest.join(' ') };
    });
}
const dockerfile = dockerfileInstructions(read('Dockerfile'));
const froms = dockerfile.filter((i) => i.op === 'FROM').map((i) => i.args.split(/\s+/)[0] as string);

describe('Dockerfile against the repository', () => {
  it('builds on the official Node 20 image line, with tags that image publishes', () => {
    // The official `node` image publishes <major>[.<minor>[.<patch>]]-<debian release>[-slim]; Node-RED
    // is a dependency of cellrig, so no Node-RED base image (whose tags differ) is needed.
    expect(froms.length).toBe(2);
    for (const image of froms) expect(image).toMatch(/^node:20(\.\d+){0,2}-(bookworm|bookworm-slim)$/);
    // Native addons built in the first stage must load in the second: the same Debian release.
    const release = (image: string) => image.split('-')[1];
    expect(release(froms[0] as string)).toBe(release(froms[1] as string));
  });

  it('builds native addons (serialport) in the build stage: no --ignore-scripts on npm ci', () => {
    const runs = dockerfile.filter((i) => i.op === 'RUN').map((i) => i.args);
    const ci = runs.find((r) => /\bnpm ci\b/.test(r));
    expect(ci, 'the build stage runs npm ci').toBeDefined();
    expect(ci).not.toMatch(/npm ci[^&]*--ignore-scripts/);
    // npm ci runs the prepare script, which compiles TypeScript: the sources must be copied before it.
    const copyAll = dockerfile.findIndex((i) => i.op === 'COPY' && i.args === '. .');
    const ciAt = dockerfile.findIndex((i) => i.op === 'RUN' && /\bnpm ci\b/.test(i.args));
    expect(copyAll).toBeGreaterThanOrEqual(0);
    expect(copyAll).toBeLessThan(ciAt);
  });

  it('puts the cellrig command on the PATH and lets the runtime user open a serial device', () => {
    const text = read('Dockerfile');
    expect(text).toMatch(
      /^COPY --from=build \/opt\/cellrig\/deploy\/docker\/cellrig \/usr\/local\/bin\/cellrig$/m,
    );
    expect(read('deploy/docker/cellrig')).toMatch(/^CLI=\/opt\/cellrig\/dist\/bin\/cellrig\.js$/m);
    expect(dockerfile.some((i) => i.op === 'COPY' && /--from=build \/opt\/cellrig\/dist /.test(i.args))).toBe(
      true,
    );
    expect(text).toMatch(/usermod -a -G dialout node/);
    expect(dockerfile.filter((i) => i.op === 'USER').at(-1)?.args).toBe('node');
  });

  it("starts as its own comment's `docker run` shows: the image's ENV and those -e flags pass the launcher's checks", () => {
    const env: Record<string, string> = {};
    for (const i of dockerfile.filter((d) => d.op === 'ENV'))
      for (const m of i.args.matchAll(/([A-Z][A-Z0-9_]*)=(\S+)/g)) env[m[1] as string] = m[2] as string;
    const run = read('Dockerfile')
      .split('\n')
      .filter((l) => l.startsWith('#'))
      .join(' ')
      .match(/docker run .*?cellrig:local/);
    expect(run, 'the Dockerfile shows a docker run').not.toBeNull();
    for (const m of (run as RegExpMatchArray)[0].matchAll(/-e ([A-Z][A-Z0-9_]*)=('[^']*'|\S+)/g))
      env[m[1] as string] = (m[2] as string).replace(/^'|'$/g, '');
    // A real bcrypt hash in place of the placeholder the comment shows.
    env.CELLRIG_ADMIN_PASSWORD_HASH = '$2b$12$Q9wq5HcVw3Tq0rLQdR3E2eXK8m1m0gYV3sXb2uY4pZQ3D1C0s6b0S';
    expect(() => readEnv(env)).not.toThrow();
    // Without the image's MQTT_HOST the embedded broker would follow HOST beyond loopback and refuse.
    expect(() => readEnv({ ...env, MQTT_HOST: undefined })).toThrow(/MQTT_USER/);
  });

  it('checks health with a script the image contains, which answers for a serving launcher only', async () => {
    const hc = dockerfile.find((i) => i.op === 'HEALTHCHECK');
    const cmd = JSON.parse(hc?.args.replace(/^.*?CMD\s+/, '') ?? '[]') as string[];
    expect(cmd[0]).toBe('node');
    // /opt/cellrig/dist/... comes from `COPY --from=build /opt/cellrig/dist ./dist` (WORKDIR /opt/cellrig).
    expect(dockerfile.some((i) => i.op === 'COPY' && /\/opt\/cellrig\/dist \.\/dist$/.test(i.args))).toBe(
      true,
    );
    const script = (cmd[1] ?? '').replace('/opt/cellrig/dist/', '');
    expect(existsSync(join(ROOT, script.replace(/\.js$/, '.ts'))), `${script} has its source`).toBe(true);
    const built = join(ROOT, 'dist', script);
    expect(existsSync(built), `${built} is built (npm run build)`).toBe(true);
    // Asynchronous: the server below answers on this process's event loop.
    const run = (port: number) =>
      new Promise<number | null>((done) => {
        const child = execFile(process.execPath, [built], {
          env: { ...process.env, PORT: String(port) },
          timeout: 10_000,
        });
        child.on('exit', (code) => done(code));
      });
    const server = createServer((_req, res) => res.writeHead(401).end());
    await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
    const port = (server.address() as AddressInfo).port;
    try {
      expect(await run(port), 'a launcher that answers (even 401) is healthy').toBe(0);
    } finally {
      await new Promise<void>((ok) => server.close(() => ok()));
    }
    expect(await run(port), 'nothing listening is unhealthy').toBe(1);
  });

  it('keeps secrets out of the build context and keeps what the build needs in it', () => {
    const ig = dockerignore().add(read('.dockerignore'));
    const secrets = [
      '.env',
      '.env.production',
      'deploy/mosquitto/passwd',
      'deploy/mosquitto/certs/server.key',
      'deploy/mosquitto/certs/ca.crt',
      'deploy/keys/rig.pem',
      '.cellrig/.config.runtime.json',
      '.cellrig/flows_cred.json',
    ];
    for (const f of secrets) expect(ig.ignores(f), `${f} is in the build context`).toBe(true);
    const needed = [
      'package.json',
      'package-lock.json',
      'scripts/build.mjs',
      'tsconfig.build.json',
      'flows/rig.json',
      'bin/healthcheck.ts',
      'deploy/env.example',
    ];
    for (const f of needed) expect(ig.ignores(f), `${f} is missing from the build context`).toBe(false);
  });
});

describe('docker-compose.yml (the lab server) against the repository', () => {
  it('runs the writer, Mosquitto, InfluxDB 1.8 and Grafana, and no rig', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['bridge', 'grafana', 'influxdb', 'mosquitto']);
    for (const [name, s] of Object.entries(compose.services))
      expect(runsRig(s), `${name} runs a rig`).toBe(false);
    expect(svc('influxdb').image).toMatch(/^influxdb:1\.8/);
    expect(svc('mosquitto').image).toMatch(/^eclipse-mosquitto:2/);
    expect(svc('grafana').image).toMatch(/^grafana\/grafana(-oss)?:\d+/);
    for (const name of Object.keys(compose.services))
      for (const dep of svc(name).depends_on ?? []) expect(Object.keys(compose.services)).toContain(dep);
  });

  it('builds the cellrig image from this repository and runs commands the cellrig CLI has', () => {
    const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string> };
    expect(pkg.bin.cellrig).toBeDefined();
    const commands = buildProgram().commands.map((c) => c.name());
    const services: [string, Service][] = [
      ['bridge', svc('bridge')],
      ['cellrig (compose.rig.yml)', service(rigCompose, 'compose.rig.yml', 'cellrig')],
      ['cellrig-sim (compose.sim-rig.yml)', service(simCompose, 'compose.sim-rig.yml', 'cellrig-sim')],
    ];
    for (const [name, s] of services) {
      expect(s.build?.context, name).toBe('.');
      expect(s.image, name).toBe('cellrig:local');
      const [command, sub] = s.entrypoint ?? [];
      expect(command).toBe('cellrig');
      expect(commands, `cellrig has a "${sub}" command`).toContain(sub);
    }
    // The image's health check asks the editor's HTTP server; the bridge runs none.
    expect(svc('bridge').healthcheck?.disable).toBe(true);
  });

  it('mounts only paths that exist in the repository, and declares exactly the named volumes it uses', () => {
    for (const [file, c] of [
      ['docker-compose.yml', compose],
      ['compose.rig.yml', rigCompose],
      ['compose.sim-rig.yml', simCompose],
    ] as const) {
      const named = new Set<string>();
      for (const [name, s] of Object.entries(c.services)) {
        for (const m of mounts(s)) {
          if (m.bind) expect(existsSync(join(ROOT, m.host)), `${file}: ${name} mounts ${m.host}`).toBe(true);
          else named.add(m.host);
          if (m.bind) expect(m.mode, `${file}: ${name} mounts ${m.host} read-only`).toBe('ro');
        }
      }
      expect([...named].sort(), file).toEqual(Object.keys(c.volumes ?? {}).sort());
    }
  });
  it('mounts Grafana provisioning where Grafana reads it, and the dashboards where the provider looks', () => {
    const g = mounts(svc('grafana'));
    for (const kind of ['datasources', 'dashboards', 'alerting']) {
      const m = g.find((x) => x.container === `/etc/grafana/provisioning/${kind}`);
      expect(m?.host, kind).toBe(`./dashboards/provisioning/${kind}`);
      expect(statSync(join(ROOT, 'dashboards', 'provisioning', kind)).isDirectory()).toBe(true);
    }
    const provider = parse(read('dashboards/provisioning/dashboards/cellrig.yaml')) as {
      providers: { options: { path: string } }[];
    };
    const dashboardsMount = g.find((x) => x.container === provider.providers[0]?.options.path);
    expect(dashboardsMount?.host).toBe('./dashboards/generated');
    expect(existsSync(join(ROOT, 'dashboards', 'generated', 'cellrig-rig.json'))).toBe(true);
  });

  it("gives Grafana every variable its provisioning files use, and a datasource URL into InfluxDB's port", () => {
    const env = svc('grafana').environment ?? {};
    const files = [
      'dashboards/provisioning/datasources/cellrig.yaml',
      'dashboards/provisioning/alerting/contact-points.yaml',
    ];
    for (const f of files)
      for (const ref of envRefs(read(f).replace(/^#.*$/gm, '')))
        expect(env, `${f} uses $${ref}`).toHaveProperty(ref);
    const ds = parse(read(files[0] as string)) as { datasources: { uid: string }[] };
    expect(ds.datasources.map((d) => d.uid)).toEqual([INFLUX_DATASOURCE_UID]);
    const influxPort = ports(svc('influxdb'))[0]?.container;
    expect(env.INFLUX_URL).toBe(`http://influxdb:${influxPort}`);
    expect(svc('bridge').environment?.INFLUX_URL).toBe(`http://influxdb:${influxPort}`);
  });

  it('publishes the broker on the port of the shipped mosquitto.conf listener, and clients use it', () => {
    const conf = read('deploy/mosquitto/mosquitto.conf');
    const listeners = [...conf.matchAll(/^listener (\d+)/gm)].map((m) => Number(m[1]));
    expect(listeners).toEqual([1883]);
    expect(ports(svc('mosquitto')).map((p) => p.container)).toEqual(listeners);
    for (const name of ['bridge'])
      expect(svc(name).environment?.MQTT_URL).toBe(`mqtt://mosquitto:${listeners[0]}`);
    // The container paths the config names are the ones compose mounts.
    const m = mounts(svc('mosquitto'));
    expect(m.find((x) => x.container === '/mosquitto/config')?.host).toBe('./deploy/mosquitto');
    expect(conf).toMatch(/^password_file \/mosquitto\/config\/passwd$/m);
    expect(conf).toMatch(/^acl_file \/mosquitto\/config\/acl$/m);
    expect(conf).toMatch(/^persistence_location \/mosquitto\/data\/$/m);
    expect(m.find((x) => x.container === '/mosquitto/data')?.bind).toBe(false);
  });

  it('takes every secret from .env, never from the file itself, and documents each in its env example', () => {
    for (const [file, c, example] of [
      ['docker-compose.yml', compose, 'deploy/env.example'],
      ['compose.sim-rig.yml', simCompose, 'deploy/env.example'],
      ['compose.rig.yml', rigCompose, 'deploy/rig.env.example'],
    ] as const) {
      for (const [name, s] of Object.entries(c.services)) {
        for (const [key, value] of Object.entries(s.environment ?? {})) {
          if (/PASSWORD|SECRET|HASH/.test(key) && !key.startsWith('GF_SMTP'))
            expect(value, `${file}: ${name}.${key}`).toMatch(/^\$\{[A-Z0-9_]+:\?/);
        }
      }
      const text = read(example);
      for (const ref of new Set(envRefs(read(file).replace(/^\s*#.*$/gm, ''))))
        expect(text, `${example} documents ${ref} (${file})`).toMatch(new RegExp(`^${ref}=`, 'm'));
    }
  });
});

describe('compose.rig.yml (a Pi at a real rig) and compose.sim-rig.yml (a demo rig)', () => {
  const rig = service(rigCompose, 'compose.rig.yml', 'cellrig');
  const sim = service(simCompose, 'compose.sim-rig.yml', 'cellrig-sim');

  it('runs one rig on the Pi, with its id, broker and login from .env and its serial board mapped in', () => {
    expect(Object.keys(rigCompose.services)).toEqual(['cellrig']);
    expect(runsRig(rig)).toBe(true);
    const env = rig.environment ?? {};
    expect(env.RIG_ID).toMatch(/^\$\{RIG_ID:\?/);
    expect(env.MQTT_USER).toBe(env.RIG_ID);
    expect(env.MQTT_URL).toMatch(/^\$\{MQTT_URL:\?/);
    expect(rig.devices).toEqual([`\${CELLRIG_SERIAL_DEVICE:-/dev/ttyACM0}:/dev/ttyACM0`]);
  });

  it("runs the demo rig under its own id, never a real Pi's, on the server's broker", () => {
    expect(runsRig(sim)).toBe(true);
    const env = sim.environment ?? {};
    expect(env.RIG_ID).toBe(`\${SIM_RIG_ID:-sim01}`);
    expect(env.MQTT_USER).toBe(env.RIG_ID);
    const listener = /^listener (\d+)/m.exec(read('deploy/mosquitto/mosquitto.conf'))?.[1];
    expect(env.MQTT_URL).toBe(`mqtt://mosquitto:${listener}`);
    for (const dep of sim.depends_on ?? []) expect(Object.keys(compose.services)).toContain(dep);
  });

  it("publishes each rig's editor on the launcher's PORT, with a login because it listens beyond loopback", () => {
    for (const s of [rig, sim]) {
      const env = s.environment ?? {};
      expect(ports(s)).toEqual([{ hostIp: undefined, host: Number(env.PORT), container: Number(env.PORT) }]);
      expect(env.HOST).toBe('0.0.0.0');
      expect(env.CELLRIG_ADMIN_PASSWORD_HASH).toMatch(/^\$\{CELLRIG_ADMIN_PASSWORD_HASH:\?/);
    }
    expect(ports(svc('influxdb'))[0]?.hostIp).toBe('127.0.0.1');
  });
});
