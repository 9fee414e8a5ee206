/**
 * No Docker engine runs here, so docker-compose.yml is checked against the repository instead: the
 * services and images, every mounted path, the volumes, the ports against the servers' own configs,
 * Grafana's provisioning against the files it loads, and secrets only as required variables.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
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
};
type Compose = { name: string; services: Record<string, Service>; volumes: Record<string, unknown> };

const compose = parse(read('docker-compose.yml')) as Compose;
const svc = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};

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

describe('docker-compose.yml against the repository', () => {
  it('runs the rig, the writer, Mosquitto, InfluxDB 1.8 and Grafana', () => {
    expect(Object.keys(compose.services).sort()).toEqual([
      'bridge',
      'cellrig',
      'grafana',
      'influxdb',
      'mosquitto',
    ]);
    expect(svc('influxdb').image).toMatch(/^influxdb:1\.8/);
    expect(svc('mosquitto').image).toMatch(/^eclipse-mosquitto:2/);
    expect(svc('grafana').image).toMatch(/^grafana\/grafana(-oss)?:\d+/);
    for (const name of Object.keys(compose.services))
      for (const dep of svc(name).depends_on ?? []) expect(Object.keys(compose.services)).toContain(dep);
  });

  it('builds the cellrig image from this repository and runs commands the cellrig CLI has', () => {
    const build = svc('cellrig').build;
    expect(build?.context).toBe('.');
    expect(existsSync(join(ROOT, 'package.json')), 'the package the image installs').toBe(true);
    const dockerfile = read('Dockerfile');
    expect(dockerfile).toMatch(/^FROM nodered\/node-red:4\.1-20\b/m);
    // compose runs `cellrig <command>`: the image must put it on the PATH.
    expect(dockerfile).toMatch(/ln -s \/opt\/cellrig\/dist\/bin\/cellrig\.js \/usr\/local\/bin\/cellrig/);
    expect(svc('bridge').image).toBe(svc('cellrig').image);
    const pkg = JSON.parse(read('package.json')) as { bin: Record<string, string> };
    expect(pkg.bin.cellrig).toBeDefined();
    const cli = read('bin/cellrig.ts');
    for (const name of ['cellrig', 'bridge']) {
      const [command, sub] = svc(name).entrypoint ?? [];
      expect(command).toBe('cellrig');
      expect(cli, `bin/cellrig.ts has a "${sub}" command`).toMatch(new RegExp(`^\\s+'?${sub}'?: \\{`, 'm'));
    }
  });

  it('mounts only paths that exist in the repository, and declares exactly the named volumes it uses', () => {
    const named = new Set<string>();
    for (const name of Object.keys(compose.services)) {
      for (const m of mounts(svc(name))) {
        if (m.bind) expect(existsSync(join(ROOT, m.host)), `${name} mounts ${m.host}`).toBe(true);
        else named.add(m.host);
        if (m.bind) expect(m.mode, `${name} mounts ${m.host} read-only`).toBe('ro');
      }
    }
    expect([...named].sort()).toEqual(Object.keys(compose.volumes).sort());
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
    for (const name of ['cellrig', 'bridge'])
      expect(svc(name).environment?.MQTT_URL).toBe(`mqtt://mosquitto:${listeners[0]}`);
    // The container paths the config names are the ones compose mounts.
    const m = mounts(svc('mosquitto'));
    expect(m.find((x) => x.container === '/mosquitto/config')?.host).toBe('./deploy/mosquitto');
    expect(conf).toMatch(/^password_file \/mosquitto\/config\/passwd$/m);
    expect(conf).toMatch(/^acl_file \/mosquitto\/config\/acl$/m);
    expect(conf).toMatch(/^persistence_location \/mosquitto\/data\/$/m);
    expect(m.find((x) => x.container === '/mosquitto/data')?.bind).toBe(false);
  });

  it("publishes the editor on the launcher's PORT, with a login because it listens beyond loopback", () => {
    const env = svc('cellrig').environment ?? {};
    expect(ports(svc('cellrig'))).toEqual([
      { hostIp: undefined, host: Number(env.PORT), container: Number(env.PORT) },
    ]);
    expect(env.HOST).toBe('0.0.0.0');
    expect(env.CELLRIG_ADMIN_PASSWORD_HASH).toMatch(/^\$\{CELLRIG_ADMIN_PASSWORD_HASH:\?/);
    expect(ports(svc('influxdb'))[0]?.hostIp).toBe('127.0.0.1');
  });

  it('takes every secret from .env, never from the file itself, and documents each in deploy/env.example', () => {
    const example = read('deploy/env.example');
    for (const name of Object.keys(compose.services)) {
      for (const [key, value] of Object.entries(svc(name).environment ?? {})) {
        if (/PASSWORD|SECRET|HASH/.test(key) && !key.startsWith('GF_SMTP'))
          expect(value, `${name}.${key}`).toMatch(/^\$\{[A-Z0-9_]+:\?/);
      }
    }
    for (const ref of new Set(envRefs(read('docker-compose.yml').replace(/^\s*#.*$/gm, ''))))
      expect(example, `deploy/env.example documents ${ref}`).toMatch(new RegExp(`^${ref}=`, 'm'));
  });
});
