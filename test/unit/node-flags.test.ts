import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { LAUNCHER_NODE_FLAGS } from '../../app/node-flags';

const root = join(__dirname, '../..');
const flags = LAUNCHER_NODE_FLAGS.join(' ');

describe("the launcher's V8 flags", () => {
  it('are the ones npm start, the rig containers and the systemd unit run cellrig start with', () => {
    const pkg = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')) as {
      scripts: { start: string };
    };
    expect(pkg.scripts.start).toContain(`node ${flags} dist/bin/cellrig.js start`);
    for (const file of ['compose.rig.yml', 'compose.sim-rig.yml']) {
      const compose = parse(readFileSync(join(root, file), 'utf8')) as {
        services: Record<string, { entrypoint?: string[]; environment?: Record<string, string> }>;
      };
      const starts = Object.values(compose.services).filter((s) => s.entrypoint?.includes('start'));
      expect(starts.length).toBeGreaterThan(0);
      for (const s of starts) expect(s.environment?.NODE_OPTIONS).toBe(flags);
    }
    const unit = readFileSync(join(root, 'deploy/systemd/cellrig.service'), 'utf8');
    expect(unit).toMatch(new RegExp(`^ExecStart=/usr/bin/node ${flags} \\S+/cellrig\\.js start$`, 'm'));
  });
});
