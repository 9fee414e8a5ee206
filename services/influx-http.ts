/**
 * InfluxDB through its v1 HTTP API (line-protocol /write, InfluxQL /query): served by 1.x and kept
 * for compatibility by 2.x and 3, so the same writer works against any of them.
 */
import { Agent as HttpAgent, request as httpRequest } from 'node:http';
import { Agent as HttpsAgent, request as httpsRequest } from 'node:https';

const httpAgent = new HttpAgent({ keepAlive: true, maxSockets: 8 });
const httpsAgent = new HttpsAgent({ keepAlive: true, maxSockets: 8 });

export type InfluxTarget = {
  url: string;
  db: string;
  /** The login for /write (a write-only user is enough). */
  username?: string;
  password?: string;
  /** The login for /query, when writes use a write-only user; defaults to the write login. */
  readUsername?: string;
  readPassword?: string;
};

export type WriteResult = { status: number; body: string };

export class InfluxHttp {
  constructor(
    private readonly target: InfluxTarget,
    private readonly timeoutMs = 10_000,
  ) {}

  /** InfluxDB 1.x reads credentials from a Basic header or the URL, never from a form body. */
  private auth(read: boolean): Record<string, string> {
    const user = read ? (this.target.readUsername ?? this.target.username) : this.target.username;
    const password = read ? (this.target.readPassword ?? this.target.password) : this.target.password;
    if (!user) return {};
    return { authorization: `Basic ${Buffer.from(`${user}:${password ?? ''}`).toString('base64')}` };
  }

  async ping(): Promise<boolean> {
    const res = await fetch(`${this.target.url}/ping`, { signal: AbortSignal.timeout(this.timeoutMs) });
    return res.status === 204;
  }

  /** Creates the database if the login may; a login without admin rights assumes it exists. */
  async ensureDatabase(): Promise<void> {
    try {
      const body = await this.query(`CREATE DATABASE "${this.target.db.replace(/"/g, '\\"')}"`, false);
      const err = body.results[0]?.error;
      if (err && !/not authorized/.test(err)) throw new Error(`InfluxDB: ${err}`);
    } catch (e) {
      if (!/InfluxDB \/query 403/.test((e as Error).message)) throw e;
    }
  }

  /** POSTs these lines of line protocol (ns precision: see pointTimestampNs): see writeBody. */
  write(lines: readonly string[]): Promise<WriteResult> {
    return this.writeBody(Buffer.from(lines.join('\n')));
  }

  /**
   * POSTs a body of line protocol, UTF-8. Never throws for an HTTP status: the caller decides. node:http
   * with a keep-alive agent rather than fetch: the body is written as is, where fetch copies a 500 kB
   * batch twice more (a third of the writer's CPU, measured).
   */
  writeBody(body: Buffer): Promise<WriteResult> {
    const url = new URL(
      `${this.target.url}/write?${new URLSearchParams({ db: this.target.db, precision: 'ns' })}`,
    );
    const send = url.protocol === 'https:' ? httpsRequest : httpRequest;
    return new Promise((resolve, reject) => {
      const req = send(
        url,
        {
          method: 'POST',
          agent: url.protocol === 'https:' ? httpsAgent : httpAgent,
          // InfluxDB 1.x repeats a refused line in its X-Influxdb-Error header; a control character in it
          // would fail the strict parser, and a 400 would look like an unreachable server, retried forever.
          insecureHTTPParser: true,
          headers: {
            'content-type': 'text/plain; charset=utf-8',
            'content-length': body.length,
            ...this.auth(false),
          },
        },
        (res) => {
          const chunks: Buffer[] = [];
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString() }),
          );
          res.on('error', reject);
        },
      );
      req.setTimeout(this.timeoutMs, () => req.destroy(new Error(`no answer within ${this.timeoutMs} ms`)));
      req.on('error', reject);
      req.end(body);
    });
  }

  /** `timeoutMs`: longer for queries over a whole history, such as the writer's reconciliation. */
  async query(q: string, useDb = true, timeoutMs = this.timeoutMs): Promise<InfluxQueryResult> {
    const params = new URLSearchParams({ q, epoch: 'ms' });
    if (useDb) params.set('db', this.target.db);
    const res = await fetch(`${this.target.url}/query`, {
      method: 'POST',
      body: params,
      headers: this.auth(true),
      signal: AbortSignal.timeout(timeoutMs),
    });
    if (!res.ok) throw new Error(`InfluxDB /query ${res.status}: ${(await res.text()).slice(0, 300)}`);
    return (await res.json()) as InfluxQueryResult;
  }
}

export type InfluxSeries = {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
};
export type InfluxQueryResult = {
  results: { statement_id: number; series?: InfluxSeries[]; error?: string }[];
};
