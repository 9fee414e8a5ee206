#!/usr/bin/env node
// Compiles TypeScript to CommonJS in dist/ (Node-RED loads nodes with require) and copies each node's
// editor HTML, icons and locales beside its compiled runtime file. `--if-stale` skips the compiler when
// nothing under the source folders is newer than the last build, so `npm start` starts fast.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const sources = [
  'src',
  'devices',
  'nodes',
  'app',
  'bin',
  'bench',
  'dashboards',
  'tsconfig.json',
  'tsconfig.build.json',
  'package.json',
];
const stamp = join(root, 'dist', '.build-stamp');

function newest(path) {
  if (!existsSync(path)) return 0;
  const st = statSync(path);
  if (!st.isDirectory()) return st.mtimeMs;
  let m = st.mtimeMs;
  for (const e of readdirSync(path)) m = Math.max(m, newest(join(path, e)));
  return m;
}

if (process.argv.includes('--if-stale') && existsSync(stamp)) {
  const built = statSync(stamp).mtimeMs;
  if (Math.max(...sources.map((s) => newest(join(root, s)))) <= built) process.exit(0);
}

const tsc = join(root, 'node_modules', 'typescript', 'bin', 'tsc');
execFileSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json')], {
  stdio: 'inherit',
  cwd: root,
});

// Editor files: everything in nodes/ that is not TypeScript.
function copyAssets(dir) {
  for (const e of readdirSync(dir, { withFileTypes: true })) {
    const from = join(dir, e.name);
    if (e.isDirectory()) copyAssets(from);
    else if (!e.name.endsWith('.ts')) cpSync(from, join(root, 'dist', relative(root, from)));
  }
}
if (existsSync(join(root, 'nodes'))) copyAssets(join(root, 'nodes'));
writeFileSync(stamp, new Date().toISOString());
