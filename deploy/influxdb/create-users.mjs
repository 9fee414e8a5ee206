#!/usr/bin/env node
/**
 * Creates cellrig's InfluxDB 1.x users on a server with `auth-enabled = true`, through InfluxQL over
 * HTTP (plain Node, no influx CLI needed). Safe to run again: it creates what is missing, resets the
 * passwords and grants, and changes nothing else.
 *
 *   INFLUX_ADMIN_PASSWORD=... INFLUX_WRITER_PASSWORD=... INFLUX_GRAFANA_PASSWORD=... \
 *     node deploy/influxdb/create-users.mjs [--url http://127.0.0.1:8086] [--db cellrig]
 *
 * - admin (INFLUX_ADMIN_USER, default "admin"): all privileges; created first when the server has no
 *   user yet (InfluxDB allows exactly that one unauthenticated statement).
 * - the writer (INFLUX_WRITER_USER, default "cellrig-writer"): WRITE on the database, nothing else.
 * - Grafana (INFLUX_GRAFANA_USER, default "grafana"): READ on the database, nothing else.
 */
import { pathToFileURL } from 'node:url';

function option(name, fallback) {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && process.argv[i + 1] ? process.argv[i + 1] : fallback;
}

function required(name) {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set`);
  return v;
}

const ident = (s) => `"${s.replace(/\\/g, '\\\\').replace(/"/g, '\\"')}"`;
const literal = (s) => `'${s.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;

/** Runs one InfluxQL statement; throws with InfluxDB's message on any error. */
async function influxql(url, statement, auth) {
  // Credentials in a Basic header: InfluxDB 1.x reads them from there or the URL, never a form body.
  const headers = auth
    ? { authorization: `Basic ${Buffer.from(`${auth.user}:${auth.password}`).toString('base64')}` }
    : {};
  const res = await fetch(`${url}/query`, {
    method: 'POST',
    body: new URLSearchParams({ q: statement }),
    headers,
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`InfluxDB ${res.status} for ${statement.split(' WITH PASSWORD')[0]}: ${text}`);
  const json = JSON.parse(text);
  const err = json.results?.find((r) => r.error)?.error;
  if (err) throw new Error(`InfluxDB: ${err} (${statement.split(' WITH PASSWORD')[0]})`);
  return json;
}

async function existingUsers(url, auth) {
  const res = await influxql(url, 'SHOW USERS', auth);
  return new Set((res.results[0]?.series?.[0]?.values ?? []).map((row) => row[0]));
}

export async function createUsers({ url, db, admin, writer, grafana, log = console.log }) {
  const adminAuth = { user: admin.user, password: admin.password };
  let users;
  try {
    users = await existingUsers(url, adminAuth);
  } catch (err) {
    // A fresh server with auth on answers 403 "create admin user first" until an admin exists.
    if (!/create admin user first|no admin user/i.test(String(err))) throw err;
    await influxql(
      url,
      `CREATE USER ${ident(admin.user)} WITH PASSWORD ${literal(admin.password)} WITH ALL PRIVILEGES`,
    );
    log(`created admin user ${admin.user}`);
    users = await existingUsers(url, adminAuth);
  }
  await influxql(url, `CREATE DATABASE ${ident(db)}`, adminAuth);
  for (const [who, privilege] of [
    [writer, 'WRITE'],
    [grafana, 'READ'],
  ]) {
    if (users.has(who.user)) {
      await influxql(url, `SET PASSWORD FOR ${ident(who.user)} = ${literal(who.password)}`, adminAuth);
      await influxql(url, `REVOKE ALL PRIVILEGES ON ${ident(db)} FROM ${ident(who.user)}`, adminAuth);
    } else {
      await influxql(url, `CREATE USER ${ident(who.user)} WITH PASSWORD ${literal(who.password)}`, adminAuth);
    }
    await influxql(url, `GRANT ${privilege} ON ${ident(db)} TO ${ident(who.user)}`, adminAuth);
    log(`${who.user}: ${privilege} on ${db} only`);
  }
}

async function main() {
  await createUsers({
    url: option('url', process.env.INFLUX_URL || 'http://127.0.0.1:8086').replace(/\/$/, ''),
    db: option('db', process.env.INFLUX_DB || 'cellrig'),
    admin: { user: process.env.INFLUX_ADMIN_USER || 'admin', password: required('INFLUX_ADMIN_PASSWORD') },
    writer: {
      user: process.env.INFLUX_WRITER_USER || 'cellrig-writer',
      password: required('INFLUX_WRITER_PASSWORD'),
    },
    grafana: {
      user: process.env.INFLUX_GRAFANA_USER || 'grafana',
      password: required('INFLUX_GRAFANA_PASSWORD'),
    },
  });
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) {
  main().catch((err) => {
    console.error(`create-users: ${err.message}`);
    process.exit(1);
  });
}
