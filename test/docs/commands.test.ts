/**
 * Every command README.md, docs/ and examples/ show runs as printed, from the checkout, the way a
 * newcomer types it (docs/development.md, "Commands in the docs"): ```sh blocks line by line in a
 * temporary folder per page that sees the checkout's files, ```sh server blocks started, waited for and
 * stopped with SIGINT, and every other shell block marked with the reason it cannot run here. Commands
 * that are not run are still checked: no ../shared, and every cellrig command and option they name exists.
 */
import { execFile, execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync } from 'node:fs';
import { constants, tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Block, CLASSES, type Command, cellrigWords, extractBlocks, inlineCode } from './doc-blocks';
import {
  commandEnv,
  freePort,
  makeWorkspace,
  removeDir,
  runCommand,
  type Server,
  startServer,
} from './workspace';

const ROOT = path.resolve(__dirname, '..', '..');
const CLI = path.join(ROOT, 'dist', 'bin', 'cellrig.js');
// Generous: the machine running this may be busy, and a server's first start builds nothing but loads a lot.
const COMMAND_TIMEOUT_MS = 120_000;
const READY_TIMEOUT_MS = 90_000;
const STOP_TIMEOUT_MS = 20_000;
const HOLD_MS = 2_000;

function markdownFiles(dir: string): string[] {
  if (!existsSync(path.join(ROOT, dir))) return [];
  return readdirSync(path.join(ROOT, dir), { recursive: true, encoding: 'utf8' })
    .filter((f) => f.endsWith('.md'))
    .map((f) => path.join(dir, f))
    .sort();
}

const FILES = ['README.md', ...markdownFiles('docs'), ...markdownFiles('examples')];
const PARSED = FILES.map((file) => ({
  file,
  ...extractBlocks(file, readFileSync(path.join(ROOT, file), 'utf8')),
}));
const BLOCKS: Block[] = PARSED.flatMap((p) => p.blocks);
const RUN_PAGES = PARSED.filter((p) => p.blocks.some((b) => b.kind === 'run' || b.kind === 'server'));

const where = (file: string, c: { line: number }) => `${file}:${c.line}`;
const tail = (s: string, n = 25) => s.trimEnd().split('\n').slice(-n).join('\n');

describe('the convention', () => {
  it('every shell block is ```sh, and runs or names why it cannot', () => {
    expect(PARSED.flatMap((p) => p.problems.map((q) => `${q.file}:${q.line}: ${q.message}`))).toEqual([]);
  });

  it('no command reads ../shared (a clone does not have it: use the files in examples/data)', () => {
    const commands = [
      ...BLOCKS.flatMap((b) => b.commands.map((c) => ({ at: where(b.file, c), text: c.text }))),
      ...FILES.flatMap((file) =>
        inlineCode(readFileSync(path.join(ROOT, file), 'utf8'))
          .filter((s) => /^(\w+=\S+\s+)*(npx |cellrig |node |npm )/.test(s.code))
          .map((s) => ({ at: where(file, s), text: s.code })),
      ),
    ];
    expect(commands.filter((c) => c.text.includes('../shared')).map((c) => `${c.at}: ${c.text}`)).toEqual([]);
  });
});

/** `cellrig <path> --help`, whatever it exits with (commands still on the old parser print their usage). */
type Help = { text: string; ok: boolean };
const helps = new Map<string, Promise<Help>>();
function help(words: readonly string[]): Promise<Help> {
  const key = words.join(' ');
  let h = helps.get(key);
  if (h === undefined) {
    h = new Promise<Help>((resolve) => {
      execFile(
        process.execPath,
        [CLI, ...words, '--help'],
        { encoding: 'utf8', timeout: 60_000 },
        (err, stdout, stderr) => resolve({ text: `${stdout}${stderr}`, ok: err === null }),
      );
    });
    helps.set(key, h);
  }
  return h;
}

/** Subcommands a help text offers: its "Commands:" list, and `cellrig <path> <word>` in its usage lines. */
function subcommands(pathWords: readonly string[], text: string): Set<string> {
  const names = new Set<string>();
  const section = /Commands:\n((?: {2}.*\n?)+)/.exec(text);
  for (const l of section?.[1]?.split('\n') ?? []) {
    const m = /^ {2}([a-z][\w-]*)/.exec(l);
    if (m) names.add(m[1]!);
  }
  const prefix = ['cellrig', ...pathWords].join(' ').replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
  for (const m of text.matchAll(new RegExp(`${prefix} ([a-z][\\w-]*)`, 'g'))) names.add(m[1]!);
  return names;
}

/** What is wrong with a cellrig invocation's command words and options, checked against its --help. */
async function checkInvocation(words: readonly string[]): Promise<string | null> {
  const pathWords: string[] = [];
  for (const w of words) {
    if (w.startsWith('-')) break;
    if (!subcommands(pathWords, (await help(pathWords)).text).has(w)) break;
    pathWords.push(w);
  }
  const h = await help(pathWords);
  const listsOptions = /--(?!help\b)[a-z]/.test(h.text);
  for (const w of words) {
    const opt = /^(--[a-z][\w-]*)/.exec(w)?.[1];
    if (opt === undefined || opt === '--help' || opt === '--version') continue;
    const listed = new RegExp(`${opt}(?![\\w-])`).test(h.text);
    // A command still on the old parser whose --help lists no options cannot be checked here.
    if (!listed && (h.ok || listsOptions)) {
      return `\`cellrig ${pathWords.join(' ')}\` has no option ${opt} (its --help does not list it)`;
    }
  }
  if (pathWords.length === 0 && words.length > 0 && !words[0]!.startsWith('-')) {
    return `\`cellrig ${words[0]}\` is not a command`;
  }
  return null;
}

/** Every cellrig invocation the docs show or name (blocks, run or not, and inline code), checked. */
async function wrongInvocations(): Promise<string[]> {
  if (!existsSync(CLI)) return [`${CLI} is missing: run npm run build first`];
  const seen: { at: string; words: string[] }[] = [];
  for (const b of BLOCKS) {
    for (const c of b.commands) {
      const words = cellrigWords(c.command);
      if (words) seen.push({ at: where(b.file, c), words });
    }
  }
  for (const file of FILES) {
    for (const s of inlineCode(readFileSync(path.join(ROOT, file), 'utf8'))) {
      // Inline code names a command or shows its synopsis (`cellrig eis fit FILE --circuit STR [...]`).
      const words = /^(\w+=\S+\s+)*(npx )?cellrig\b/.test(s.code) ? cellrigWords(s.code) : null;
      if (words) seen.push({ at: where(file, s), words: words.map((w) => w.replace(/^\[/, '')) });
    }
  }
  const problems = await Promise.all(seen.map((s) => checkInvocation(s.words)));
  return seen.flatMap((s, k) => (problems[k] ? [`${s.at}: ${problems[k]}`] : []));
}

type PageRun = { file: string; dir: string; env: NodeJS.ProcessEnv };

function gitStatus(): string | null {
  if (!existsSync(path.join(ROOT, '.git'))) return null;
  try {
    return execFileSync('git', ['status', '--porcelain', '--untracked-files=all'], {
      cwd: ROOT,
      encoding: 'utf8',
    });
  } catch {
    return null;
  }
}

describe('commands run as printed', () => {
  const runs = new Map<string, PageRun>();
  const results = new Map<string, string[]>();
  const npmCache = mkdtempSync(path.join(tmpdir(), 'cellrig-docs-npm-'));
  let statusBefore: string | null = null;
  let invocations: Promise<string[]> = Promise.resolve([]);

  beforeAll(async () => {
    const t0 = Date.now();
    // Looked up while the pages run: it only reads --help texts.
    invocations = wrongInvocations();
    statusBefore = gitStatus();
    for (const page of RUN_PAGES) {
      const dir = makeWorkspace(ROOT, page.file);
      const env = commandEnv({
        npm_config_cache: npmCache,
        PORT: String(await freePort()),
        MQTT_PORT: String(await freePort()),
      });
      runs.set(page.file, { file: page.file, dir, env });
    }
    // The first `npx cellrig` in a checkout runs the package's prepare script (a build when dist/ is older
    // than the sources): once, here, with time to spare, before the pages run side by side. In each other
    // folder npx only links the package into its cache, a second or two.
    const version = JSON.parse(readFileSync(path.join(ROOT, 'package.json'), 'utf8')).version as string;
    const first = [...runs.values()][0]!;
    const warm = await runCommand('npx cellrig --version', first.dir, first.env, 300_000);
    expect(warm.output.trim(), `npx cellrig --version\n${tail(warm.output)}`).toBe(version);
    expect(warm.code).toBe(0);
    // Pages side by side, each page's blocks in order in its own folder.
    await Promise.all(
      RUN_PAGES.map(async (page) => {
        const run = runs.get(page.file)!;
        const failures: string[] = [];
        for (const block of page.blocks) {
          if (block.kind === 'run') failures.push(...(await runBlock(run, block)));
          else if (block.kind === 'server') failures.push(...(await runServerBlock(run, block)));
        }
        results.set(page.file, failures);
      }),
    );
    const count = (k: string) => BLOCKS.filter((b) => b.kind === k);
    const commands = (k: string) => count(k).reduce((n, b) => n + b.commands.length, 0);
    console.log(
      `docs commands: ${count('run').length} blocks, ${commands('run')} commands run; ${count('server').length} server blocks, ${commands('server')} processes started and stopped; not run: ${Object.keys(
        CLASSES,
      )
        .map((k) => `${k} ${count(k).length} blocks (${commands(k)} commands)`)
        .join(', ')}; ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    );
  }, 600_000);

  afterAll(() => {
    for (const r of runs.values()) removeDir(r.dir);
    removeDir(npmCache);
  });

  for (const page of RUN_PAGES) {
    it(page.file, () => {
      expect(results.get(page.file)).toEqual([]);
    });
  }

  it('name cellrig commands and options that exist (in every block, run or not, and in inline code)', async () => {
    expect(await invocations).toEqual([]);
  });

  it('left the checkout as it was (commands write into their own folder, not through a symlink)', () => {
    expect(gitStatus()).toBe(statusBefore);
  });
});

type Exit = { code: number | null; signal: NodeJS.Signals | null; timedOut: boolean };

/** The exit status a shell reports: the code, or 128 + the signal's number for a process a signal ended. */
function status(r: Exit): number | null {
  if (r.code !== null) return r.code;
  return r.signal === null ? null : 128 + (constants.signals[r.signal] ?? 0);
}

function describeExit(c: Command, r: Exit): string {
  if (r.timedOut) return 'did not finish in time';
  const by = r.code === null ? ` (ended by ${r.signal})` : '';
  return `exited ${status(r)}${by}, expected ${c.expectedExit}`;
}

async function runBlock(run: PageRun, block: Block): Promise<string[]> {
  const failures: string[] = [];
  for (const c of block.commands) {
    const r = await runCommand(c.command, run.dir, run.env, COMMAND_TIMEOUT_MS);
    if (r.timedOut || status(r) !== c.expectedExit) {
      failures.push(`${where(block.file, c)}: \`${c.command}\` ${describeExit(c, r)}\n${tail(r.output)}`);
    }
  }
  return failures;
}

/** Starts each line in order, each once ready; then stops them last first, as Ctrl-C does. */
async function runServerBlock(run: PageRun, block: Block): Promise<string[]> {
  const failures: string[] = [];
  const started: { c: Command; server: Server }[] = [];
  for (const c of block.commands) {
    const server = startServer(c.command, c.readyText ?? '', run.dir, run.env, READY_TIMEOUT_MS);
    started.push({ c, server });
    try {
      await server.ready;
    } catch (err) {
      failures.push(
        `${where(block.file, c)}: \`${c.command}\` ${(err as Error).message}\n${tail(server.output())}`,
      );
      break;
    }
  }
  // Running a moment, as a reader looks at it before pressing Ctrl-C (and subscribers get messages).
  if (failures.length === 0) await new Promise((r) => setTimeout(r, HOLD_MS));
  for (const { c, server } of started.reverse()) {
    const r = await server.stop(STOP_TIMEOUT_MS);
    if (failures.length === 0 && (r.timedOut || status(r) !== c.expectedExit)) {
      failures.push(
        `${where(block.file, c)}: \`${c.command}\` stopped with SIGINT: ${describeExit(c, r)}\n${tail(r.output)}`,
      );
    }
  }
  return failures;
}
