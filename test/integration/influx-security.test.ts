/**
 * The shipped InfluxDB users (deploy/influxdb/create-users.mjs) on a real InfluxDB with authentication
 * on: the writer can write and not read, Grafana can read and not write, nobody gets in anonymously.
 */
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { InfluxHttp } from '../../services/influx-http';
import { type Influx, startInflux } from '../support/services';

const SCRIPT = join(__dirname, '..', '..', 'deploy', 'influxdb', 'create-users.mjs');
const env = {
  INFLUX_ADMIN_PASSWORD: 'admin-secret',
  INFLUX_WRITER_PASSWORD: 'writer-secret',
  INFLUX_GRAFANA_PASSWORD: 'grafana-secret',
};
const LINE = `pressure,channel=ch1,rig=rig01 pressureMPa=150.2,seq=1i ${Date.now()}`;

let influx: Influx;
/** Writes go through the writer's own client. */
const as = (username?: string, password?: string) =>
  new InfluxHttp({ url: influx.url, db: 'cellrig', username, password });

/** Queries the way Grafana's datasource sends them: InfluxQL in a POST form, credentials in Basic auth. */
async function query(q: string, user?: string, password?: string, db = 'cellrig') {
  const headers: Record<string, string> = user
    ? { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` }
    : {};
  const res = await fetch(`${influx.url}/query`, {
    method: 'POST',
    body: new URLSearchParams({ q, db }),
    headers,
  });
  const body = (await res.json()) as {
    error?: string;
    results?: { error?: string; series?: { values: unknown[][] }[] }[];
  };
  return {
    status: res.status,
    error: body.error ?? body.results?.[0]?.error,
    values: body.results?.[0]?.series?.[0]?.values,
  };
}

async function runScript(): Promise<string> {
  const { stdout } = await promisify(execFile)(
    process.execPath,
    [SCRIPT, '--url', influx.url, '--db', 'cellrig'],
    {
      env: { ...process.env, ...env },
    },
  );
  return stdout;
}

beforeAll(async () => {
  influx = await startInflux({ auth: true });
  await runScript();
}, 90_000);

afterAll(async () => {
  await influx?.dispose();
});

describe('InfluxDB users for cellrig', () => {
  it('lets the writer write but not read', async () => {
    const writer = as('cellrig-writer', env.INFLUX_WRITER_PASSWORD);
    expect((await writer.write([LINE])).status).toBe(204);
    const read = await query('SELECT * FROM "pressure"', 'cellrig-writer', env.INFLUX_WRITER_PASSWORD);
    expect(read.status).toBe(403);
    expect(read.error).toMatch(/not authorized/);
  });

  it('lets Grafana read what the writer wrote but not write', async () => {
    const read = await query('SELECT "pressureMPa" FROM "pressure"', 'grafana', env.INFLUX_GRAFANA_PASSWORD);
    expect(read.status).toBe(200);
    expect(read.values).toHaveLength(1);
    expect((await as('grafana', env.INFLUX_GRAFANA_PASSWORD).write([LINE])).status).toBe(403);
  });

  it('refuses anonymous clients and wrong passwords', async () => {
    expect((await as().write([LINE])).status).toBe(401);
    expect((await query('SHOW DATABASES')).status).toBe(401);
    expect((await query('SHOW DATABASES', 'grafana', 'guess')).status).toBe(401);
    expect((await as('cellrig-writer', 'guess').write([LINE])).status).toBe(401);
  });

  it('can be run again: passwords and grants are reset, nothing else changes', async () => {
    const out = await runScript();
    expect(out).toContain('cellrig-writer: WRITE on cellrig only');
    expect(out).toContain('grafana: READ on cellrig only');
    const users = await query('SHOW USERS', 'admin', env.INFLUX_ADMIN_PASSWORD);
    expect(users.values).toEqual([
      ['admin', true],
      ['cellrig-writer', false],
      ['grafana', false],
    ]);
    const grants = await query('SHOW GRANTS FOR "grafana"', 'admin', env.INFLUX_ADMIN_PASSWORD);
    expect(grants.values).toEqual([['cellrig', 'READ']]);
  });
});
