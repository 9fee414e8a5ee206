/**
 * InfluxDB through its v1 HTTP API (line-protocol /write, InfluxQL /query): served by 1.x and kept
 * for compatibility by 2.x and 3, so the same writer works against any of them.
 */
export type InfluxTarget = { url: string; db: string; username?: string; password?: string };

export type WriteResult = { status: number; body: string };

export class InfluxHttp {
  constructor(
    private readonly target: InfluxTarget,
    private readonly timeoutMs = 10_000,
  ) {}

  private params(extra: Record<string, string>): URLSearchParams {
    const p = new URLSearchParams(extra);
    if (this.target.username) p.set('u', this.target.username);
    if (this.target.password) p.set('p', this.target.password);
    return p;
  }

  async ping(): Promise<boolean> {
    const res = await fetch(`${this.target.url}/ping`, { signal: AbortSignal.timeout(this.timeoutMs) });
    return res.status === 204;
  }

  async ensureDatabase(): Promise<void> {
    const body = await this.query(`CREATE DATABASE "${this.target.db.replace(/"/g, '\\"')}"`, false);
    const err = body.results[0]?.error;
    if (err) throw new Error(`InfluxDB: ${err}`);
  }

  /** POSTs line protocol (ns precision: see pointTimestampNs). Never throws for an HTTP status: the caller decides. */
  async write(lines: readonly string[]): Promise<WriteResult> {
    const res = await fetch(
      `${this.target.url}/write?${this.params({ db: this.target.db, precision: 'ns' })}`,
      {
        method: 'POST',
        body: lines.join('\n'),
        headers: { 'content-type': 'text/plain; charset=utf-8' },
        signal: AbortSignal.timeout(this.timeoutMs),
      },
    );
    return { status: res.status, body: res.status === 204 ? '' : await res.text() };
  }

  async query(q: string, useDb = true): Promise<InfluxQueryResult> {
    const params = this.params({ q, epoch: 'ms' });
    if (useDb) params.set('db', this.target.db);
    const res = await fetch(`${this.target.url}/query`, {
      method: 'POST',
      body: params,
      signal: AbortSignal.timeout(this.timeoutMs),
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
