/**
 * `cellrig install`: the rig's installation record (devices/rig-installation.ts), the figures no deploy or
 * message can change. `show` prints it; `hardware` sets the rig's hardware limits (the reference rig's, or
 * a file of the rig's own, checked field by field). A channel's load cell is installed only by
 * `cellrig calibrate`, which measures it with the press released. `hardware` holds the data folder's
 * lock: cellrig must be stopped.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Command } from 'commander';
import { EXIT, onRun, subcommand, UsageError } from './grammar';
import { dataFolder, flowFileIn, fromEnv, lockForWrite, rigIdOf, soleRigNode } from './rig-folder';

type Common = { data?: string; flows?: string; rig?: string; backend?: string };

const BACKENDS = ['sim', 'firmata', 'linux'];

/** The rig the folder's flow file means (or --rig / --backend), as cellrig start would run it. */
function rigOf(opts: Common): { data: string; rigId: string; backend?: string } {
  const data = dataFolder(opts.data);
  const rig = soleRigNode(flowFileIn(data, opts.flows));
  const backend = opts.backend ?? fromEnv(rig?.backend) ?? process.env.RIG_BACKEND;
  if (backend !== undefined && !BACKENDS.includes(backend))
    throw new UsageError(`--backend ${backend}: allowed sim, firmata or linux`);
  return { data, rigId: rigIdOf(opts.rig, rig), backend };
}

function common(cmd: Command): Command {
  return cmd
    .option('--data <dir>', 'the data folder (default: $CELLRIG_DATA, else ./.cellrig)')
    .option('--flows <file>', 'the flow file (default: <data>/flows.json)')
    .option('--rig <id>', "the rig's id (default: the flow's rig node's, else $RIG_ID, else rig01)");
}

export function register(program: Command): void {
  const install = subcommand(
    program,
    'install',
    "a rig's installation record: hardware limits and installed load cells",
  ).addHelpText(
    'after',
    '\nThe record (<data>/installation/<rig>.json) holds what the safety layer judges by; no deploy or\n' +
      'message changes it. A real rig: cellrig install hardware, then cellrig calibrate each channel.',
  );

  const show = common(subcommand(install, 'show', "print the rig's installation record"))
    .option('--json', 'print the record as JSON')
    .option(
      '--backend <name>',
      'also say whether the record serves a rig on this backend (sim | firmata | linux)',
    );
  show.addHelpText(
    'after',
    '\nExit codes: 0 shown, 3 no record yet, 4 the record is damaged or not for this rig.',
  );
  onRun(show, async (opts: Common & { json?: boolean }) => {
    const { data, rigId, backend } = rigOf(opts);
    const { RigInstallation, readInstallationFile, installationFile } = await import(
      '../../devices/rig-installation.js'
    );
    const { describeInstallation } = await import('../../src/rig/installation.js');
    const file = installationFile(data, rigId);
    // Read only: show never seeds a record (that is the simulated rig's start).
    const loaded = readInstallationFile(file);
    if (loaded.kind === 'missing') {
      process.stderr.write(
        `cellrig install show: rig ${rigId} has no installation record (${file}); a simulated rig seeds one at its first start, a real one is installed with cellrig install hardware and cellrig calibrate\n`,
      );
      return 3;
    }
    if (loaded.kind === 'damaged') {
      process.stderr.write(`cellrig install show: ${file} is damaged: ${loaded.reason}\n`);
      return 4;
    }
    process.stdout.write(
      opts.json ? `${JSON.stringify(loaded.record, null, 2)}\n` : describeInstallation(loaded.record, file),
    );
    if (backend) {
      const why = RigInstallation.open({ dataDir: data, rigId, backend: backend as 'sim' }).refusal;
      if (why) {
        process.stderr.write(`cellrig install show: ${why}\n`);
        return 4;
      }
    }
    return EXIT.ok;
  });

  const hardware = common(
    subcommand(install, 'hardware', "set the rig's hardware limits (load cell, press, oven ratings)"),
  )
    .option('--backend <name>', "sim | firmata | linux (default: the flow's rig node, else $RIG_BACKEND)")
    .option('--reference', 'the reference rig (src/rig/hardware-limits.ts REFERENCE_RIG)')
    .option('--file <limits.json>', "the rig's own limits: {press: {...}, oven: {...}}, every field")
    .option('--template', "print the reference rig's limits as a file to start from; install nothing");
  hardware.addHelpText(
    'after',
    '\nWith cellrig stopped:\n' +
      '  cellrig install hardware --template > limits.json   (edit it to the rig as built)\n' +
      '  cellrig install hardware --file limits.json --backend firmata\n' +
      'Installed channels whose calibration no longer fits the limits are dropped (calibrate them again);\n' +
      'a damaged record is kept aside. Exit codes: 0 installed, 1 cellrig running or a write failed,\n' +
      '2 bad option or file (every bad field named).',
  );
  onRun(
    hardware,
    async (opts: Common & { reference?: boolean; file?: string; template?: boolean; backend?: string }) => {
      const { REFERENCE_RIG, rigHardwareRecordSchema } = await import('../../src/rig/hardware-limits.js');
      if (opts.template) {
        process.stdout.write(`${JSON.stringify(REFERENCE_RIG, null, 2)}\n`);
        return EXIT.ok;
      }
      if (Boolean(opts.reference) === Boolean(opts.file))
        throw new UsageError('give either --reference or --file limits.json');
      const { data, rigId, backend } = rigOf(opts);
      if (!backend)
        throw new UsageError(
          "give --backend sim|firmata|linux: the flow's rig node takes it from RIG_BACKEND, which is not set here",
        );
      let limits: unknown = REFERENCE_RIG;
      let detail = 'the reference rig (REFERENCE_RIG)';
      if (opts.file) {
        const path = resolve(opts.file);
        try {
          limits = JSON.parse(readFileSync(path, 'utf8'));
        } catch (err) {
          throw new UsageError(`${opts.file}: not a limits file (${(err as Error).message})`);
        }
        detail = `from ${path}`;
      }
      const parsed = rigHardwareRecordSchema.safeParse(limits);
      if (!parsed.success)
        throw new UsageError(
          `${opts.file ?? '--reference'}: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(file)'}: ${i.message}`).join('; ')} (cellrig install hardware --template prints a complete file)`,
        );
      const { RigInstallation } = await import('../../devices/rig-installation.js');
      const lock = lockForWrite(data, 'cellrig install hardware');
      try {
        const inst = RigInstallation.open({ dataDir: data, rigId, backend: backend as 'sim' });
        const { dropped, keptAside } = inst.setHardware(parsed.data, detail);
        process.stdout.write(
          `rig ${rigId} (${backend}): hardware limits installed in ${inst.file} (${detail})\n`,
        );
        if (keptAside) process.stdout.write(`the previous record is kept as ${keptAside}\n`);
        for (const d of dropped)
          process.stdout.write(`${d.channel} dropped (${d.why}): calibrate it again\n`);
        return EXIT.ok;
      } finally {
        lock.release();
      }
    },
  );
}
