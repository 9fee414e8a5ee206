import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LAUNCHER_ENV, LAUNCHER_NODE_FLAGS } from '../../app/node-flags';

const root = join(__dirname, '../..');
const flags = LAUNCHER_NODE_FLAGS.join(' ');
const envs = Object.entries(LAUNCHER_ENV).map(([k, v]) => `${k}=${v}`);

describe("the launcher's V8 flags", () => {
  it('are the ones npm start, the rig containers and the systemd unit run cellrig start with', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: { start: string };
    };
    expect(pkg.scripts.start).toContain(`${envs.join(' ')} exec node ${flags} dist/bin/cellrig.js start`);
    // The containers run `cellrig start` through the image's script, which adds the flags.
    const script = readFileSync(join(root, 'deploy/docker/cellrig'), 'utf8');
    expect(script).toMatch(new RegExp(`^  exec node ${flags} "\\$CLI" "\\$@"$`, 'm'));
    expect(script).toContain(`\n  export ${envs.join(' ')}\n  exec node ${flags}`);
    const dockerfile = readFileSync(join(root, 'Dockerfile'), 'utf8');
    expect(dockerfile).toMatch(
      /^COPY --from=build \/opt\/cellrig\/deploy\/docker\/cellrig \/usr\/local\/bin\/cellrig$/m,
    );
    for (const file of ['compose.rig.yml', 'compose.sim-rig.yml']) {
      const compose = parse(readFileSync(join(root, file), 'utf8')) as {
        services: Record<string, { entrypoint?: string[]; environment?: Record<string, string> }>;
      };
      const starts = Object.values(compose.services).filter((s) => s.entrypoint?.includes('start'));
      expect(starts.length).toBeGreaterThan(0);
      for (const s of starts) expect(s.entrypoint).toEqual(['cellrig', 'start']);
    }
    const unit = readFileSync(join(root, 'deploy/systemd/cellrig.service'), 'utf8');
    expect(unit).toMatch(new RegExp(`^ExecStart=/usr/bin/node ${flags} \\S+/cellrig\\.js start$`, 'm'));
    const unitEnv = /^Environment=(.*)$/m.exec(unit)?.[1]?.split(' ') ?? [];
    for (const e of envs) expect(unitEnv).toContain(e);
  });

  it("are flags Node takes on its command line, and the image's script runs the launcher with them", () => {
    // Node refuses some V8 flags in NODE_OPTIONS (--optimize-for-size among them): a compose file
    // that set them there would leave the container unable to start.
    const script = readFileSync(join(root, 'deploy/docker/cellrig'), 'utf8').replaceAll('/opt/cellrig', root);
    const help = spawnSync('sh', ['-c', script, 'cellrig', 'start', '--help'], { encoding: 'utf8' });
    expect(help.status, help.stderr).toBe(0);
    expect(help.stdout).toMatch(/^Usage: cellrig start/);
    const execArgv = `-p 'process.execArgv.filter((a) => a.startsWith("--")).join(" ")'`;
    const probe = spawnSync('sh', ['-c', script.replace('"$CLI" "$@"', execArgv), 'cellrig', 'start'], {
      encoding: 'utf8',
    });
    expect(probe.stdout.trim()).toBe(flags);
    const other = spawnSync('sh', ['-c', script, 'cellrig', 'eis', '--help'], { encoding: 'utf8' });
    expect(other.status, other.stderr).toBe(0);
    for (const file of ['docker-compose.yml', 'compose.rig.yml', 'compose.sim-rig.yml']) {
      const compose = parse(readFileSync(join(root, file), 'utf8')) as {
        services: Record<string, { environment?: Record<string, string> }>;
      };
      for (const s of Object.values(compose.services)) {
        const options = s.environment?.NODE_OPTIONS;
        if (options === undefined) continue;
        const r = spawnSync(process.execPath, ['-e', '0'], {
          env: { ...process.env, NODE_OPTIONS: options },
        });
        expect(r.status, `${file}: NODE_OPTIONS ${options}: ${r.stderr}`).toBe(0);
      }
    }
  });
});
