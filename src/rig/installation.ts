/**
 * A rig's installation record: what was installed on the rig, and when and how, kept below the nodes so
 * that no deploy and no message can change it. Per rig: its hardware limits. Per channel: the load cell
 * (its mux port), the die, the press's pump and valve pins and the load-cell calibration as installed.
 * The safety layer judges raw counts by this calibration; a deployed node whose settings disagree with
 * it is refused. Only the calibration procedure, an explicit install with the press released, and the
 * simulated rig (seeding its own) write it (devices/rig-installation.ts); this file holds the format and
 * the comparisons, in plain words.
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ioBackendSchema } from './config';
import {
  checkCalibration,
  describeProblems,
  type RigHardwareLimits,
  rigHardwareRecordSchema,
} from './hardware-limits';
import { countsFromForce, dieAreaMm2, forceFromCounts, type LoadCellCalibration } from './load-cell';

export const INSTALLATION_FORMAT = 'cellrig-installation';

/** Smallest and largest die a channel may be installed with, mm. */
export const DIE_MM = { min: 1, max: 100 } as const;

const id = z.string().regex(/^[A-Za-z0-9_-]{1,64}$/, 'letters, digits, _ and - only');

export const provenanceSchema = z
  .object({
    /** When, as an ISO time. */
    at: z.iso.datetime({ offset: true }),
    /** Which path wrote it. */
    how: z.enum(['sim-seed', 'calibrate', 'install']),
    /** What it was set from, in words (the known load, the file, the released reading). */
    detail: z.string().max(500),
  })
  .strict();
export type Provenance = z.infer<typeof provenanceSchema>;

const pin = z.number().int().min(0).max(255);

export const installedChannelSchema = z
  .object({
    muxPort: z.number().int().min(0).max(7),
    dieDiameterMm: z.number().min(DIE_MM.min).max(DIE_MM.max),
    /** The press this load cell measures; absent when the channel has no press wired. */
    pumpPin: pin.optional(),
    valvePin: pin.optional(),
    calibration: z
      .object({
        zeroCounts: z.number().finite(),
        countsPerN: z.number().finite().positive(),
      })
      .strict(),
    set: provenanceSchema,
  })
  .strict();
export type InstalledChannel = z.infer<typeof installedChannelSchema>;

export const installationRecordSchema = z
  .object({
    format: z.literal(INSTALLATION_FORMAT),
    version: z.literal(1),
    rigId: id,
    /** What the rig was installed on: a record seeded by the simulated rig never serves a real one. */
    backend: ioBackendSchema,
    hardware: rigHardwareRecordSchema,
    hardwareSet: provenanceSchema,
    channels: z.record(id, installedChannelSchema),
  })
  .strict();
export type InstallationRecord = z.infer<typeof installationRecordSchema>;

/** JSON with every object's keys sorted, so a checksum does not depend on the order they were written in. */
export function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value);
}

export function recordChecksum(record: InstallationRecord): string {
  return createHash('sha256').update(canonicalJson(record)).digest('hex');
}

/** The file's text: the record and its checksum, so damage (or a hand edit) that still parses is seen. */
export function formatRecordFile(record: InstallationRecord): string {
  const checked = installationRecordSchema.parse(record);
  return `${JSON.stringify({ ...checked, sha256: recordChecksum(checked) }, null, 2)}\n`;
}

/** The record in a file's text, or why it cannot be trusted (in words, the field named). */
export function parseRecordFile(text: string): { record: InstallationRecord } | { damaged: string } {
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (err) {
    return {
      damaged: `not complete JSON (${(err as Error).message}; ${text.length} bytes): a torn or damaged write`,
    };
  }
  if (!raw || typeof raw !== 'object' || Array.isArray(raw)) return { damaged: 'not a JSON object' };
  const { sha256, ...body } = raw as Record<string, unknown>;
  if (typeof sha256 !== 'string') return { damaged: 'it has no sha256 checksum' };
  const parsed = installationRecordSchema.safeParse(body);
  if (!parsed.success)
    return {
      damaged: parsed.error.issues
        .map((i) => `${i.path.length ? i.path.join('.') : '(record)'}: ${i.message}`)
        .join('; '),
    };
  if (recordChecksum(parsed.data) !== sha256)
    return {
      damaged:
        'its sha256 checksum does not match its content (damaged, or edited by hand: only cellrig calibrate and cellrig install write it)',
    };
  return { record: parsed.data };
}

/** A record's backend and the rig's agree on being simulated or real. */
export function sameKindOfRig(recordBackend: string, rigBackend: string): boolean {
  return (recordBackend === 'sim') === (rigBackend === 'sim');
}

/** A node's channel as deployed: the settings the installation fixes. */
export type DeployedChannel = {
  channel: string;
  muxPort: number;
  dieDiameterMm: number;
  calibration: LoadCellCalibration;
  /** The press pins, when the node drives the press. */
  pins?: { pump: number; valve: number };
  /** Where the difference in calibration is shown, MPa (the node's overload limit). */
  overloadMPa?: number;
};

/** A span as the flow file and the installation record keep it: four decimals (a zero: whole counts). */
export const roundSpan = (countsPerN: number) => Math.round(countsPerN * 1e4) / 1e4;

/** A written zero is a whole count and a span has four decimals (cellrig calibrate writes them so). */
export const ZERO_TOLERANCE_COUNTS = 0.5;
export const SPAN_TOLERANCE_COUNTS_PER_N = 0.00005;

const num = (x: number, d = 1) => String(Number(x.toFixed(d)));

/** How a record's entry came to be, in a few words. */
export function describeProvenance(p: Provenance): string {
  const how = {
    'sim-seed': 'seeded by the simulated rig',
    calibrate: 'cellrig calibrate',
    install: 'cellrig install',
  }[p.how];
  return `${how}, ${p.at}${p.detail ? `: ${p.detail}` : ''}`;
}

/** What to do when a node and the installation disagree, for a message. */
export function howToRecalibrate(channel: string): string {
  return `the installation changes only with the press released: stop cellrig and run \`cellrig calibrate --channel ${channel} --known-n N\` (or --reference), which measures a new zero and span, installs them and writes them into the node (also after a new die or load cell: set them in the node first)`;
}

/**
 * Where a deployed channel disagrees with its installation, as one sentence, or undefined when it agrees.
 * Pins are compared only when the node drives the press.
 */
export function installationMismatch(
  node: DeployedChannel,
  entry: Omit<InstalledChannel, 'set'> & { set?: Provenance },
  rigId: string,
): string | undefined {
  const diffs: string[] = [];
  if (node.muxPort !== entry.muxPort)
    diffs.push(
      `mux port ${node.muxPort} is not the installed load cell's (port ${entry.muxPort}): the safety layer would judge another cell than the one the press pushes on`,
    );
  if (Math.abs(node.dieDiameterMm - entry.dieDiameterMm) > 1e-9)
    diffs.push(
      `die ${num(node.dieDiameterMm, 3)} mm is not the installed ${num(entry.dieDiameterMm, 3)} mm (the overload limit in N follows the die)`,
    );
  if (node.pins && (node.pins.pump !== entry.pumpPin || node.pins.valve !== entry.valvePin))
    diffs.push(
      entry.pumpPin === undefined || entry.valvePin === undefined
        ? `this channel was installed without a press (no pump and valve pins), so it cannot hold`
        : `pump pin ${node.pins.pump} and valve pin ${node.pins.valve} are not the installed press's (${entry.pumpPin} and ${entry.valvePin})`,
    );
  const cal = node.calibration;
  const inst = entry.calibration;
  const zeroOff = Math.abs(cal.zeroCounts - inst.zeroCounts) > ZERO_TOLERANCE_COUNTS;
  const spanOff = Math.abs(cal.countsPerN - inst.countsPerN) > SPAN_TOLERANCE_COUNTS_PER_N;
  if (zeroOff || spanOff) {
    const atMPa = node.overloadMPa ?? 150;
    const area = dieAreaMm2(entry.dieDiameterMm);
    const counts = countsFromForce(atMPa * area, inst);
    const apartMPa = Math.abs(atMPa - forceFromCounts(counts, cal) / area);
    const what = [
      zeroOff ? `Zero ${num(cal.zeroCounts, 0)} counts` : '',
      spanOff ? `Span ${num(cal.countsPerN, 4)} counts/N` : '',
    ]
      .filter(Boolean)
      .join(' and ');
    diffs.push(
      `${what} ${zeroOff && spanOff ? 'are' : 'is'} not the installed calibration (zero ${num(inst.zeroCounts, 0)} counts, span ${num(inst.countsPerN, 4)} counts/N${entry.set ? `; ${describeProvenance(entry.set)}` : ''}): at ${num(atMPa)} MPa the two read the stack ${num(apartMPa, 2)} MPa apart, and the overload trip would move with them`,
    );
  }
  if (!diffs.length) return undefined;
  return `${rigId} ${node.channel}: ${diffs.join('; ')}. Refused: the press stays stopped. Set the node back to the installed values, or: ${howToRecalibrate(node.channel)}`;
}

/** Why an installed channel no longer fits new hardware limits (then it must be calibrated again), or undefined. */
export function channelMisfit(
  entry: Omit<InstalledChannel, 'set'>,
  hardware: RigHardwareLimits,
): string | undefined {
  const problems = checkCalibration(entry.calibration, hardware.press);
  return problems.length ? describeProblems(problems) : undefined;
}

/** A record as lines for `cellrig install show`, `cellrig probe` and the rig editor. */
export function describeInstallation(record: InstallationRecord, file?: string): string {
  const p = record.hardware.press;
  const o = record.hardware.oven;
  const lines = [
    `rig ${record.rigId}: installed on the ${record.backend === 'sim' ? 'simulated rig' : `${record.backend} backend`}${file ? ` (${file})` : ''}`,
    `hardware limits (${describeProvenance(record.hardwareSet)}):`,
    `  load cell: ${num(p.loadCellCapacityN / 1000, 3)} kN, usable to ${num(p.usableFraction * 100, 1)} %; ${p.nominalCountsPerN} counts/N nominal, span within ${num(p.spanTolerance * 100, 1)} %; zero within ${p.maxZeroOffsetCounts} counts; tare at most ${p.nearZeroN} N; span load at least ${p.minSpanForceN} N`,
    `  press: pump ${p.pumpSpeedMmPerS} mm/s, release ${p.releaseSpeedMmPerS} mm/s; stack ${num(p.nominalStiffnessNPerMm / 1000, 3)} kN/mm nominal, ${num(p.maxStiffnessNPerMm / 1000, 3)} kN/mm stiffest; guard margin ${p.guardMarginN} N; overload at least ${p.overloadGapMPa} MPa above the band; band ${p.toleranceMPa.min} to ${p.toleranceMPa.max} MPa; ramp from ${p.minRampMPaPerS} MPa/s; hold period ${p.holdPeriodMs.min} to ${p.holdPeriodMs.max} ms`,
    `  oven: rated to ${o.maxTempC} C, ramps ${o.minRampCPerMin} to ${o.maxRampCPerMin} C/min`,
  ];
  const channels = Object.entries(record.channels).sort(([a], [b]) => (a < b ? -1 : 1));
  if (!channels.length) lines.push('channels: none installed yet (cellrig calibrate --channel chN)');
  else lines.push('channels:');
  for (const [name, c] of channels) {
    const press = c.pumpPin !== undefined ? `pump pin ${c.pumpPin}, valve pin ${c.valvePin}` : 'no press';
    lines.push(
      `  ${name}: mux port ${c.muxPort}, die ${num(c.dieDiameterMm, 3)} mm, ${press}; zero ${num(c.calibration.zeroCounts, 0)} counts, span ${num(c.calibration.countsPerN, 4)} counts/N (${describeProvenance(c.set)})`,
    );
  }
  return `${lines.join('\n')}\n`;
}
