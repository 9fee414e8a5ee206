/**
 * One grammar for every `cellrig` command, on commander (the maintained parser behind most Node CLIs):
 * `--help` on every command and subcommand, unknown options and arguments as errors with a hint,
 * option values checked as they are parsed with a message that names the option and what is allowed,
 * and exit codes a script can act on. A command module exports `register(parent)`, which declares its
 * options and loads its implementation only when it runs, so `cellrig --help` stays fast.
 */
import { Command, CommanderError, InvalidArgumentError } from 'commander';

/** Exit codes shared by every command; a command may add its own (3 and up), listed in its help. */
export const EXIT = {
  ok: 0,
  /** The command ran and failed (I/O, a service that did not answer, a fault during a run). */
  failure: 1,
  /** The command line itself is wrong: unknown command or option, missing or invalid value. */
  usage: 2,
} as const;

/** A usage error found after parsing (a combination of options, a file that is not there). */
export class UsageError extends Error {
  override name = 'UsageError';
}

/** The usage errors commander raises; everything it reports else (help, version) is a success. */
const USAGE_CODES = new Set([
  'commander.unknownCommand',
  'commander.unknownOption',
  'commander.invalidArgument',
  'commander.missingArgument',
  'commander.missingMandatoryOptionValue',
  'commander.optionMissingArgument',
  'commander.excessArguments',
  'commander.conflictingOption',
]);

/** Applies cellrig's conventions to a command and, through copyInheritedSettings, to its subcommands. */
export function withConventions(cmd: Command): Command {
  return cmd
    .exitOverride()
    .showHelpAfterError(`(run '${commandPath(cmd)} --help' for usage)`)
    .allowExcessArguments(false)
    .configureHelp({ sortOptions: false, showGlobalOptions: false, helpWidth: 100 });
}

/** A subcommand of `parent` with the same conventions (the hint names the subcommand's own --help). */
export function subcommand(parent: Command, nameAndArgs: string, description: string): Command {
  const cmd = parent.command(nameAndArgs).description(description);
  return withConventions(cmd);
}

export function commandPath(cmd: Command): string {
  const names: string[] = [];
  for (let c: Command | null = cmd; c; c = c.parent) names.unshift(c.name());
  return names.join(' ');
}

/** Maps what commander throws to an exit code; help and version are successes. */
export function exitCodeOf(err: unknown): number {
  if (err instanceof CommanderError) {
    if (err.code === 'commander.helpDisplayed' || err.code === 'commander.version') return EXIT.ok;
    if (err.code === 'commander.help') return EXIT.ok;
    return USAGE_CODES.has(err.code) ? EXIT.usage : err.exitCode || EXIT.failure;
  }
  return err instanceof UsageError ? EXIT.usage : EXIT.failure;
}

type NumberRule = {
  min?: number;
  max?: number;
  /** Only whole numbers. */
  integer?: boolean;
  /** Values equal to min are refused (a rate, a period). */
  exclusiveMin?: boolean;
  /** Printed after the range, e.g. 'MPa'. */
  unit?: string;
};

/** What a NumberRule allows, in words: "a number from 0 to 500 MPa", "a whole number of at least 1". */
export function describeNumberRule(rule: NumberRule): string {
  const what = rule.integer ? 'a whole number' : 'a number';
  const unit = rule.unit ? ` ${rule.unit}` : '';
  const { min, max } = rule;
  if (min !== undefined && max !== undefined)
    return rule.exclusiveMin
      ? `${what} above ${min} and at most ${max}${unit}`
      : `${what} from ${min} to ${max}${unit}`;
  if (min !== undefined) return `${what} ${rule.exclusiveMin ? 'above' : 'of at least'} ${min}${unit}`;
  if (max !== undefined) return `${what} of at most ${max}${unit}`;
  return `${what}${unit ? ` in${unit}` : ''}`;
}

/**
 * An option-argument parser for numbers: commander reports a refusal as
 * "option '--ramp <MPa/s>' argument '1e6' is invalid. Allowed: a number above 0 and at most 10 MPa/s".
 */
export function numberIn(rule: NumberRule): (value: string) => number {
  return (value: string) => {
    const n = value.trim() === '' ? Number.NaN : Number(value);
    const ok =
      Number.isFinite(n) &&
      (!rule.integer || Number.isInteger(n)) &&
      (rule.min === undefined || (rule.exclusiveMin ? n > rule.min : n >= rule.min)) &&
      (rule.max === undefined || n <= rule.max);
    if (!ok) throw new InvalidArgumentError(`Allowed: ${describeNumberRule(rule)}.`);
    return n;
  };
}

const exitCodes = new WeakMap<Command, number>();

function rootOf(cmd: Command): Command {
  let c = cmd;
  while (c.parent) c = c.parent;
  return c;
}

/**
 * Sets what a command does: `fn` gets commander's action arguments (operands, then the options
 * object, then the command) and returns the exit code, which runProgram returns.
 */
export function onRun(cmd: Command, fn: (...args: never[]) => Promise<number> | number): Command {
  return cmd.action(async (...args: unknown[]) => {
    let code: number;
    try {
      code = await (fn as (...a: unknown[]) => Promise<number> | number)(...args);
    } catch (err) {
      if (!(err instanceof UsageError)) throw err;
      // Found after parsing (settings the hardware refuses, a file that is not there): name the command.
      const path = commandPath(cmd);
      process.stderr.write(`${path}: ${err.message}\n(run '${path} --help' for usage)\n`);
      code = EXIT.usage;
    }
    exitCodes.set(rootOf(cmd), code);
  });
}

/**
 * Runs a command tree on argv (without node and the script) and returns its exit code. Errors a command
 * throws are printed as `cellrig: message` (a UsageError with the command's help hint).
 */
export async function runProgram(program: Command, argv: readonly string[]): Promise<number> {
  exitCodes.delete(program);
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return exitCodes.get(program) ?? EXIT.ok;
  } catch (err) {
    if (err instanceof CommanderError) return exitCodeOf(err);
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`${program.name()}: ${message}\n`);
    if (err instanceof UsageError) process.stderr.write(`(run '${program.name()} --help' for usage)\n`);
    return exitCodeOf(err);
  }
}

/**
 * Progress for long runs: a line rewritten in place on a terminal, nothing when stderr is not a
 * terminal or the output is JSON (so pipes and --json stay clean).
 */
export function progress(enabled: boolean, stream: NodeJS.WriteStream = process.stderr) {
  const on = enabled && stream.isTTY === true;
  let last = 0;
  return {
    update(text: string): void {
      if (!on) return;
      const now = Date.now();
      if (now - last < 200) return;
      last = now;
      stream.write(`\r\x1b[2K${text}`);
    },
    done(): void {
      if (on) stream.write('\r\x1b[2K');
    },
  };
}

/** One format for numbers in tables and columns: 6 significant digits, exponent only outside 1e-3..1e6. */
export function formatNumber(x: number, significant = 6): string {
  if (!Number.isFinite(x)) return String(x);
  if (x === 0) return '0';
  const a = Math.abs(x);
  if (a >= 1e-3 && a < 1e6) return String(Number(x.toPrecision(significant)));
  return x.toExponential(significant - 1).replace(/\.?0+e/, 'e');
}

/**
 * A `main(argv)` for one top-level command, as `cellrig <name> ...argv` would run it: what tests and
 * embedders call without building the whole command tree.
 */
export function standalone(
  name: string,
  register: (parent: Command) => void,
): (argv: string[]) => Promise<number> {
  return (argv) => {
    const root = withConventions(new Command('cellrig'));
    register(root);
    return runProgram(root, [name, ...argv]);
  };
}
