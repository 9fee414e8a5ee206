/**
 * `cellrig hash-password`: prints the bcrypt hash that CELLRIG_ADMIN_PASSWORD_HASH expects (the same
 * hashing Node-RED's adminAuth checks against). The password comes from stdin: piped, all of it (one
 * trailing newline dropped); on a terminal, one line typed without echo.
 */
import type { Command } from 'commander';
import { EXIT, numberIn, onRun, subcommand } from './grammar';

export const MIN_PASSWORD_LENGTH = 12;

export function register(program: Command): void {
  const cmd = subcommand(
    program,
    'hash-password',
    `print the bcrypt hash of a password read from stdin (for CELLRIG_ADMIN_PASSWORD_HASH)`,
  )
    .option(
      '--cost <rounds>',
      'bcrypt cost factor (the work doubles per step)',
      numberIn({ min: 10, max: 15, integer: true }),
      12,
    )
    .addHelpText(
      'after',
      `\nThe password needs at least ${MIN_PASSWORD_LENGTH} characters. Examples:\n` +
        `  cellrig hash-password                       (asks for it, without echo)\n` +
        `  printf '%s' "$PASSWORD" | cellrig hash-password\n` +
        `Exit codes: 0 hash printed, 2 password too short or bad option.`,
    );
  onRun(cmd, async (opts: { cost: number }) => {
    const password = process.stdin.isTTY ? await readHidden('password: ') : await readAll();
    if (password.length < MIN_PASSWORD_LENGTH) {
      process.stderr.write(
        `cellrig hash-password: the password has ${password.length} characters; use at least ${MIN_PASSWORD_LENGTH}\n`,
      );
      return EXIT.usage;
    }
    const bcrypt = (await import('bcryptjs')).default;
    process.stdout.write(`${bcrypt.hashSync(password, opts.cost)}\n`);
    return EXIT.ok;
  });
}

async function readAll(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks)
    .toString('utf8')
    .replace(/\r?\n$/, '');
}

/** One line from the terminal, echo off (raw mode), Ctrl-C aborts. */
function readHidden(prompt: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const stdin = process.stdin;
    process.stderr.write(prompt);
    stdin.setRawMode(true);
    stdin.resume();
    let line = '';
    const onData = (buf: Buffer) => {
      for (const ch of buf.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return finish(null);
        if (ch === '\u0003') return finish(new Error('cancelled'));
        if (ch === '\u007f' || ch === '\b') line = line.slice(0, -1);
        else line += ch;
      }
    };
    const finish = (err: Error | null) => {
      stdin.off('data', onData);
      stdin.setRawMode(false);
      stdin.pause();
      process.stderr.write('\n');
      if (err) reject(err);
      else resolve(line);
    };
    stdin.on('data', onData);
  });
}
