import { vi } from 'vitest';

export type CliRun = { code: number; out: string; err: string };

/**
 * Runs a command's `main(argv)` in process and captures what it writes to stdout and stderr
 * (restored afterwards, also when main throws).
 */
export async function runCli(main: (argv: string[]) => Promise<number>, argv: string[]): Promise<CliRun> {
  let out = '';
  let err = '';
  const o = vi.spyOn(process.stdout, 'write').mockImplementation((s) => {
    out += String(s);
    return true;
  });
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s) => {
    err += String(s);
    return true;
  });
  try {
    return { code: await main(argv), out, err };
  } finally {
    o.mockRestore();
    e.mockRestore();
  }
}
