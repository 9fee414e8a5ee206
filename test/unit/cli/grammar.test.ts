/**
 * The one CLI grammar: help and version on the root, usage errors with exit 2 and a hint, every
 * command on the grammar answering --help with each option it accepts, and number options refused
 * with the option named and the allowed range.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { describe, expect, it } from 'vitest';
import { EXIT, formatNumber, numberIn, runProgram } from '../../../app/cli/grammar';
import { buildProgram } from '../../../app/cli/program';
import { runCli } from '../../support/cli';

const ROOT = join(__dirname, '..', '..', '..');
const run = (argv: string[]) => runCli((a) => runProgram(buildProgram(), a), argv);

/** Every command below root that is on the grammar (legacy commands hand --help to their own parser). */
function grammarCommands(cmd: Command, path: string[] = []): { path: string[]; cmd: Command }[] {
  const out: { path: string[]; cmd: Command }[] = [];
  for (const sub of cmd.commands) {
    const p = [...path, sub.name()];
    const legacy = sub.registeredArguments.some((a) => a.name() === 'args') && sub.options.length === 0;
    if (!legacy) out.push({ path: p, cmd: sub });
    out.push(...grammarCommands(sub, p));
  }
  return out;
}

describe('cellrig command line', () => {
  it('prints its usage for --help, -h and help, and exits 0', async () => {
    for (const argv of [['--help'], ['-h'], ['help']]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(EXIT.ok);
      expect(r.out).toMatch(/^Usage: cellrig/);
      for (const name of ['start', 'bridge', 'sim', 'eis', 'health', 'hash-password'])
        expect(r.out).toMatch(new RegExp(`^  ${name}\\b`, 'm'));
    }
  });

  it("prints the package's version for --version and -V", async () => {
    const { version } = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { version: string };
    for (const flag of ['--version', '-V']) {
      const r = await run([flag]);
      expect(r.code).toBe(EXIT.ok);
      expect(r.out.trim()).toBe(version);
    }
  });

  it('refuses an unknown command or option with exit 2 and a hint to --help', async () => {
    for (const argv of [['nope'], ['--nope'], ['hash-password', '--nope'], ['hash-password', 'extra']]) {
      const r = await run(argv);
      expect(r.code, argv.join(' ')).toBe(EXIT.usage);
      expect(r.err).toMatch(/^error: /);
      expect(r.err).toMatch(/run 'cellrig( hash-password)? --help' for usage/);
    }
  });

  it('answers --help on every command on the grammar, listing every option it accepts', async () => {
    const commands = grammarCommands(buildProgram());
    expect(commands.length).toBeGreaterThan(0);
    for (const { path, cmd } of commands) {
      const r = await run([...path, '--help']);
      expect(r.code, path.join(' ')).toBe(EXIT.ok);
      expect(r.out).toMatch(new RegExp(`^Usage: cellrig ${path.join(' ')}`));
      for (const option of cmd.options)
        expect(r.out, `${path.join(' ')} lists ${option.flags}`).toContain(option.flags);
    }
  });

  it('refuses a number option outside its range, naming the option and what is allowed', async () => {
    const r = await run(['hash-password', '--cost', '3']);
    expect(r.code).toBe(EXIT.usage);
    expect(r.err).toContain(
      "option '--cost <rounds>' argument '3' is invalid. Allowed: a whole number from 10 to 15.",
    );
    expect(() => numberIn({ min: 0, exclusiveMin: true, max: 10, unit: 'MPa/s' })('1e6')).toThrow(
      'Allowed: a number above 0 and at most 10 MPa/s.',
    );
    for (const bad of ['', ' ', 'abc', 'NaN', 'Infinity', '1e400'])
      expect(() => numberIn({})(bad), JSON.stringify(bad)).toThrow('Allowed: a number.');
    expect(numberIn({ min: 1, integer: true })('7')).toBe(7);
    expect(() => numberIn({ min: 1, integer: true })('7.5')).toThrow('a whole number of at least 1');
  });

  it('prints numbers in one format: six significant digits, an exponent only outside 1e-3..1e6', () => {
    expect([0, 1, -2.5, 0.001, 123456.7, 1e6, 2.5e-4, 1 / 3, 1e-12].map((x) => formatNumber(x))).toEqual([
      '0',
      '1',
      '-2.5',
      '0.001',
      '123457',
      '1e+6',
      '2.5e-4',
      '0.333333',
      '1e-12',
    ]);
  });
});

describe('cellrig hash-password', () => {
  const cli = join(ROOT, 'dist', 'bin', 'cellrig.js');
  /** Runs the built command with `input` on stdin (or stdin left open when undefined). */
  const spawnCli = (argv: string[], input?: string) =>
    new Promise<{ code: number | null; out: string; err: string }>((done) => {
      const child = spawn(process.execPath, [cli, ...argv], { stdio: ['pipe', 'pipe', 'pipe'] });
      let out = '';
      let err = '';
      child.stdout.on('data', (d) => (out += d));
      child.stderr.on('data', (d) => (err += d));
      const timer = setTimeout(() => child.kill(), 10_000);
      child.on('exit', (code) => {
        clearTimeout(timer);
        done({ code, out, err });
      });
      if (input !== undefined) child.stdin.end(input);
    });

  it('answers --help without waiting for a password on stdin', async () => {
    const r = await spawnCli(['hash-password', '--help']);
    expect(r.code).toBe(0);
    expect(r.out).toContain('at least 12 characters');
  });

  it('hashes a piped password that bcrypt then accepts, and refuses a short one with exit 2', async () => {
    const ok = await spawnCli(['hash-password', '--cost', '10'], 'correct horse battery\n');
    expect(ok.code).toBe(0);
    const bcrypt = (await import('bcryptjs')).default;
    expect(bcrypt.compareSync('correct horse battery', ok.out.trim())).toBe(true);
    const short = await spawnCli(['hash-password'], 'pw');
    expect(short.code).toBe(2);
    expect(short.err).toContain('has 2 characters; use at least 12');
  });
});
