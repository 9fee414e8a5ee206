/**
 * Writes the dashboards and alerting provisioning built in TypeScript to files Grafana provisions:
 * dashboards/generated/*.json and dashboards/provisioning/alerting/*.yaml. The output is committed, so
 * docker-compose works from a clone; the dashboard check fails when it is out of date.
 *
 *   npm run build && node dist/dashboards/build.js
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { generatedFiles } from './catalog';

/** The source folder, also when this runs compiled from dist/dashboards/. */
export function dashboardsDir(): string {
  const here = __dirname;
  return here.includes(`${join('dist', 'dashboards')}`) ? join(here, '..', '..', 'dashboards') : here;
}

export function writeGenerated(dir = dashboardsDir()): string[] {
  const written: string[] = [];
  for (const [rel, content] of generatedFiles()) {
    const path = join(dir, rel);
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(path, content);
    written.push(rel);
  }
  return written;
}

if (require.main === module) {
  for (const rel of writeGenerated()) console.log(`wrote dashboards/${rel}`);
}
