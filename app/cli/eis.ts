/**
 * `cellrig eis`: impedance analysis from the command line, on the shared grammar (grammar.ts): read,
 * fit, validate (Kramers-Kronig) and drt, each with --help listing its options and the exit codes. The
 * options are one table (EIS_OPTIONS) that the help, the parsers and docs/impedance.md share; each
 * subcommand's work lives in its own module, loaded only when it runs.
 */
import { Command, InvalidArgumentError, Option } from 'commander';
import { MAX_FIT_STARTS } from '../../src/eis/limits';
import { EXIT, numberIn, onRun, runProgram, subcommand, withConventions } from './grammar';

/** Exit codes of the eis commands: the grammar's 0, 1 and 2, and three of their own. */
export const EIS_EXIT = {
  ...EXIT,
  /** validate: the spectrum fails the Kramers-Kronig test. */
  kkInvalid: 3,
  /** fit: a free parameter is not determined by the data, or the fit did not converge. */
  notDetermined: 4,
  /** The file cannot be read or parsed, or its spectrum cannot be analysed (the reason is printed). */
  badInput: 5,
} as const;

export const EIS_EXIT_HELP = `Exit codes:
  0  done: the spectrum read, every fitted parameter determined, the spectrum KK-valid, the DRT computed
  1  an unexpected failure (a bug: please report it with the file)
  2  command line: unknown option, a value out of range, a circuit that does not parse
  3  validate: the spectrum is not Kramers-Kronig consistent (INVALID)
  4  fit: a parameter is not determined by the data (at a bound, standard error above its value,
     none at all, or correlation above 0.99), or the fit did not converge
  5  bad input: no such file, not a spectrum (file and line named), more than 5000 points, values at the
     edge of the float range, |Z| = 0; nothing is analysed`;

const list = (what: string) => (value: string) => {
  const parts = value.split(',').map((p) => p.trim());
  const nums = parts.map(Number);
  const bad = parts.findIndex((p, i) => p === '' || !Number.isFinite(nums[i]!));
  if (bad >= 0)
    throw new InvalidArgumentError(`value ${bad + 1} ('${parts[bad]}') is not a number (${what}).`);
  return nums;
};

const fixList = (value: string) => {
  const out: Record<string, number> = {};
  for (const item of value.split(',')) {
    const m = /^\s*([A-Za-z][A-Za-z0-9_]*)\s*=\s*(\S+)\s*$/.exec(item);
    if (!m || !Number.isFinite(Number(m[2]))) throw new InvalidArgumentError(`'${item}' is not NAME=VALUE.`);
    out[m[1]!] = Number(m[2]);
  }
  return out;
};

/** One option of an eis subcommand: commander's flags, its help line, and how its value is read. */
export type EisOption = {
  readonly flags: string;
  readonly description: string;
  readonly parse?: (value: string) => unknown;
  readonly choices?: readonly string[];
  readonly defaultValue?: unknown;
};

const repeat: EisOption = {
  flags: '--repeat <n>',
  description: 'run the computation n times (1 to 10000) in one process and report the time per run',
  parse: numberIn({ min: 1, max: 10_000, integer: true }),
  defaultValue: 1,
};
const json: EisOption = { flags: '--json', description: 'print the result as one line of JSON' };
const dropInductive: EisOption = {
  flags: '--drop-inductive',
  description: 'leave out the points with Im Z > 0 (cable and cell inductance)',
};

/** The options of every eis subcommand, in the order --help lists them. */
export const EIS_OPTIONS = {
  read: [repeat, json],
  fit: [
    {
      flags: '--circuit <text>',
      description: "the circuit, impedance.py's notation: R0-p(R1,CPE1)-p(R2,CPE2) (required)",
    },
    {
      flags: '--guess <v1,v2,...>',
      description: 'initial values of the free parameters, in circuit order (default: read off the spectrum)',
      parse: list('--guess'),
    },
    { flags: '--fix <NAME=V,...>', description: 'hold parameters at these values', parse: fixList },
    {
      flags: '--weight <scheme>',
      description: 'residual weights: unit (impedance.py), modulus (1/|Z|), proportional',
      choices: ['unit', 'modulus', 'proportional'],
      defaultValue: 'unit',
    },
    {
      flags: '--method <m>',
      description: "lm goes to the least-squares minimum; trf is scipy's bounded TRF (impedance.py)",
      choices: ['lm', 'trf'],
      defaultValue: 'lm',
    },
    dropInductive,
    {
      flags: '--starts <n>',
      description: `automatic starts without a guess (or for a retry after a runaway), 1 to ${MAX_FIT_STARTS} (default 12)`,
      parse: numberIn({ min: 1, max: MAX_FIT_STARTS, integer: true }),
    },
    { flags: '--seed <n>', description: 'seed of the random starts', parse: numberIn({ integer: true }) },
    { flags: '--plot <file.svg>', description: 'write Nyquist, Bode and residual plots of the fit as SVG' },
    repeat,
    json,
  ],
  validate: [
    dropInductive,
    {
      flags: '--fit <parts>',
      description: 'parts the RC chain is fitted to',
      choices: ['complex', 'real', 'imag'],
      defaultValue: 'complex',
    },
    {
      flags: '--rule <rule>',
      description:
        "how M is chosen: chi-square (lowest pseudo chi-squared), sustained or first (Schönleber's mu; first is impedance.py's linKK)",
      choices: ['chi-square', 'sustained', 'first'],
      defaultValue: 'chi-square',
    },
    {
      flags: '--mu <c>',
      description: "mu threshold of the mu rules (Schönleber's 0.85)",
      parse: numberIn({ min: 0, exclusiveMin: true, max: 0.999 }),
      defaultValue: 0.85,
    },
    {
      flags: '--threshold <pct>',
      description: 'largest |relative residual| of a valid spectrum, in %',
      parse: numberIn({ min: 0, exclusiveMin: true, max: 100, unit: '%' }),
      defaultValue: 1,
    },
    {
      flags: '--max-m <n>',
      description: 'most RC elements tried, 1 to 200 (never more than a third of the equations)',
      parse: numberIn({ min: 1, max: 200, integer: true }),
      defaultValue: 50,
    },
    {
      flags: '--tau-extension <decades>',
      description: 'time constants this far beyond the measured range (log F_ext)',
      parse: numberIn({ min: 0, max: 3 }),
      defaultValue: 0,
    },
    { flags: '--no-capacitance', description: 'no series capacitance in the chain' },
    { flags: '--no-inductance', description: 'no series inductance in the chain' },
    { flags: '--plot <file.svg>', description: "write the data, the chain's fit and its residuals as SVG" },
    repeat,
    json,
  ],
  drt: [
    {
      flags: '--lambda <x>',
      description: 'regularisation parameter (default: chosen by generalised cross-validation)',
      parse: numberIn({ min: 0, exclusiveMin: true, max: 1e6 }),
    },
    {
      flags: '--penalty <order>',
      description: 'derivative of gamma penalised',
      choices: ['1', '2'],
      defaultValue: '1',
    },
    {
      flags: '--fwhm <c>',
      description: 'basis function width coefficient (pyDRTtools: 0.5)',
      parse: numberIn({ min: 0, exclusiveMin: true, max: 10 }),
      defaultValue: 0.5,
    },
    dropInductive,
    { flags: '--plot <file.svg>', description: 'write gamma(tau) with its peaks marked as SVG' },
    repeat,
    json,
  ],
} satisfies Record<string, readonly EisOption[]>;

export type EisSubcommand = keyof typeof EIS_OPTIONS;

const DESCRIPTIONS: Record<EisSubcommand, string> = {
  read: 'read an instrument export and print f, Re Z, Im Z',
  fit: 'fit an equivalent circuit, with standard errors and which parameters the data determine',
  validate: 'Kramers-Kronig test: is the spectrum one linear, causal, stable system?',
  drt: 'distribution of relaxation times, its peaks and their resistances',
};

const MODULES: Record<
  EisSubcommand,
  () => Promise<{ run(file: string, opts: never): Promise<number> | number }>
> = {
  read: () => import('./eis-read.js'),
  fit: () => import('./eis-fit.js'),
  validate: () => import('./eis-validate.js'),
  drt: () => import('./eis-drt.js'),
};

function toOption(spec: EisOption): Option {
  const option = new Option(spec.flags, spec.description);
  if (spec.choices) option.choices(spec.choices);
  if (spec.parse) option.argParser(spec.parse);
  if (spec.defaultValue !== undefined) option.default(spec.defaultValue);
  return option;
}

export function register(program: Command): void {
  const eis = subcommand(
    program,
    'eis',
    'impedance spectra: read, fit, validate (Kramers-Kronig), drt',
  ).addHelpText(
    'after',
    `\nFILE is an instrument export (CSV/TXT, EC-Lab .mpt/.mpr, Gamry .DTA, Autolab, NEISYS); the format is\ndetected from its content. Run 'cellrig eis <command> --help' for a command's options.\n\n${EIS_EXIT_HELP}`,
  );
  for (const name of Object.keys(EIS_OPTIONS) as EisSubcommand[]) {
    const cmd = subcommand(eis, `${name} <file>`, DESCRIPTIONS[name]);
    for (const spec of EIS_OPTIONS[name]) cmd.addOption(toOption(spec));
    if (name === 'fit') cmd.options.find((o) => o.long === '--circuit')!.makeOptionMandatory();
    cmd.addHelpText('after', `\n${EIS_EXIT_HELP}`);
    onRun(cmd, async (file: string, opts: Record<string, unknown>) => {
      const { runReported } = await import('./eis-common.js');
      return runReported(`cellrig eis ${name}`, async () => (await MODULES[name]()).run(file, opts as never));
    });
  }
}

/** `cellrig eis ...` run in process, as the tests call it: argv after `eis`. */
export async function main(argv: string[]): Promise<number> {
  const program = withConventions(new Command('cellrig'));
  register(program);
  return runProgram(program, ['eis', ...argv]);
}
