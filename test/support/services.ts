/**
 * Real Mosquitto and InfluxDB 1.x servers for tests: each on a free loopback port, in a temporary folder,
 * stopped (and the folder removed) afterwards. Never the default ports, nothing left running.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const srv = createServer();
    srv.unref();
    srv.on('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolve(port));
    });
  });
}

const live = new Set<ChildProcess>();
process.once('exit', () => {
  for (const p of live) p.kill('SIGKILL');
});

abstract class Server {
  protected proc: ChildProcess | undefined;
  protected log = '';
  readonly dir: string;

  constructor(
    readonly name: string,
    readonly port: number,
  ) {
    this.dir = mkdtempSync(join(tmpdir(), `cellrig-${name}-`));
  }

  /** The server's process id while it runs (the telemetry bench pins it to a core). */
  get pid(): number | undefined {
    return this.proc?.pid;
  }

  protected abstract command(): [string, string[]];
  protected abstract ready(): Promise<boolean>;

  async start(timeoutMs = 20_000): Promise<void> {
    const [cmd, args] = this.command();
    const proc = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    this.proc = proc;
    live.add(proc);
    const collect = (b: Buffer) => {
      this.log = (this.log + b.toString()).slice(-20_000);
    };
    proc.stdout?.on('data', collect);
    proc.stderr?.on('data', collect);
    proc.once('exit', () => live.delete(proc));
    const deadline = Date.now() + timeoutMs;
    while (Date.now() < deadline) {
      if (proc.exitCode !== null) throw new Error(`${this.name} exited (${proc.exitCode}):\n${this.log}`);
      if (await this.ready().catch(() => false)) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`${this.name} not ready on port ${this.port} within ${timeoutMs} ms:\n${this.log}`);
  }

  /** Stops the server; `hard` kills it without letting it save state. */
  async stop(hard = false): Promise<void> {
    const proc = this.proc;
    // A process killed by a signal has signalCode set and exitCode null.
    if (!proc || proc.exitCode !== null || proc.signalCode !== null) return;
    const exited = new Promise<void>((r) => proc.once('exit', () => r()));
    proc.kill(hard ? 'SIGKILL' : 'SIGTERM');
    const timer = setTimeout(() => proc.kill('SIGKILL'), 5_000);
    await exited;
    clearTimeout(timer);
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  async dispose(): Promise<void> {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  get output(): string {
    return this.log;
  }
}

export class Mosquitto extends Server {
  /** `extraConfig` replaces the default anonymous listener, for tests of the shipped secure config. */
  constructor(
    port: number,
    private readonly extraConfig?: string,
  ) {
    super('mosquitto', port);
  }

  get url(): string {
    return `mqtt://127.0.0.1:${this.port}`;
  }

  protected command(): [string, string[]] {
    const conf = join(this.dir, 'mosquitto.conf');
    const listener = this.extraConfig ?? 'allow_anonymous true\n';
    writeFileSync(
      conf,
      [
        `listener ${this.port} 127.0.0.1`,
        'persistence true',
        `persistence_location ${this.dir}/`,
        'autosave_interval 1',
        'max_queued_messages 1000000',
        'max_inflight_messages 1000',
        'log_dest stdout',
        listener,
      ].join('\n'),
    );
    return ['mosquitto', ['-c', conf]];
  }

  protected async ready(): Promise<boolean> {
    return this.log.includes(`Opening ipv4 listen socket on port ${this.port}`) || portOpen(this.port);
  }
}

export class Influx extends Server {
  /** `auth` turns on InfluxDB's HTTP authentication, for tests of the shipped users and grants. */
  constructor(
    port: number,
    private readonly rpcPort: number,
    private readonly auth = false,
  ) {
    super('influxd', port);
  }

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  protected command(): [string, string[]] {
    const conf = join(this.dir, 'influxdb.conf');
    writeFileSync(
      conf,
      [
        'reporting-disabled = true',
        `bind-address = "127.0.0.1:${this.rpcPort}"`,
        '[meta]',
        `  dir = "${this.dir}/meta"`,
        '[data]',
        `  dir = "${this.dir}/data"`,
        `  wal-dir = "${this.dir}/wal"`,
        '  query-log-enabled = false',
        '  wal-fsync-delay = "0s"',
        '[monitor]',
        '  store-enabled = false',
        '[http]',
        `  bind-address = "127.0.0.1:${this.port}"`,
        '  log-enabled = false',
        `  auth-enabled = ${this.auth}`,
        '[continuous_queries]',
        '  enabled = false',
      ].join('\n'),
    );
    return ['influxd', ['run', '-config', conf]];
  }

  protected async ready(): Promise<boolean> {
    const res = await fetch(`${this.url}/ping`);
    return res.status === 204;
  }

  async query(q: string, db?: string): Promise<InfluxQueryResult> {
    const params = new URLSearchParams({ q, epoch: 'ms' });
    if (db) params.set('db', db);
    const res = await fetch(`${this.url}/query?${params}`, { method: 'POST' });
    if (!res.ok) throw new Error(`InfluxDB ${res.status}: ${await res.text()}`);
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

function portOpen(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = new Socket();
    s.once('connect', () => {
      s.destroy();
      resolve(true);
    });
    s.once('error', () => resolve(false));
    s.connect(port, '127.0.0.1');
  });
}

export async function startMosquitto(extraConfig?: string): Promise<Mosquitto> {
  const m = new Mosquitto(await freePort(), extraConfig);
  await m.start();
  return m;
}

export async function startInflux(opts: { auth?: boolean } = {}): Promise<Influx> {
  const i = new Influx(await freePort(), await freePort(), opts.auth ?? false);
  await i.start(60_000);
  return i;
}
