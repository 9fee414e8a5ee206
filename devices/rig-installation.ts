/**
 * The installation record on disk, one file per rig: CELLRIG_DATA/installation/<rig>.json (0600). The rig
 * runtime loads it when the rig starts; every press channel and oven on the rig takes its hardware limits
 * from it, and every press channel its installed load cell, die, pins and calibration. A node deployed
 * with other values is refused (src/rig/installation.ts says how, in words).
 *
 * Who writes it: the calibration procedure (`cellrig calibrate`, whose tare needs the press released) for
 * a channel, `cellrig install hardware` for the rig's limits, both with cellrig stopped (they hold the
 * data folder's lock), and the simulated rig, which seeds its own record
 * with the figures it was built with. A real rig without a record runs no press and no oven until it is
 * installed.
 *
 * Writes are atomic (a temporary file, fsynced, renamed over the record, the folder fsynced), so a crash
 * leaves the old record or the new one, never a mix. A record that is torn anyway, fails its checksum or
 * its schema, or may be written by others, is refused with the reason: never replaced by a default.
 */
import { randomBytes } from 'node:crypto';
import * as nodeFs from 'node:fs';
import { dirname, join } from 'node:path';
import type { IoBackend } from '../src/rig/config';
import type { RigHardwareLimits } from '../src/rig/hardware-limits';
import { REFERENCE_RIG } from '../src/rig/hardware-limits';
import {
  channelMisfit,
  type DeployedChannel,
  formatRecordFile,
  type InstallationRecord,
  type InstalledChannel,
  installationMismatch,
  type Provenance,
  parseRecordFile,
  sameKindOfRig,
} from '../src/rig/installation';
import { simChannelAsBuilt } from './sim/sim-rig';

/** The file calls a write needs; a test passes a disk that fails part-way (test/support/faulty-disk.ts). */
export type InstallFs = Pick<
  typeof nodeFs,
  | 'openSync'
  | 'writeSync'
  | 'fsyncSync'
  | 'closeSync'
  | 'renameSync'
  | 'unlinkSync'
  | 'mkdirSync'
  | 'readFileSync'
  | 'statSync'
>;

export function installationFile(dataDir: string, rigId: string): string {
  return join(dataDir, 'installation', `${rigId}.json`);
}

export type LoadedInstallation =
  | { kind: 'ok'; record: InstallationRecord }
  | { kind: 'missing' }
  | { kind: 'damaged'; reason: string };

/** Reads and checks a record file: torn, damaged, edited or writable by others is `damaged`, with why. */
export function readInstallationFile(file: string, fs: InstallFs = nodeFs): LoadedInstallation {
  let text: string;
  try {
    const st = fs.statSync(file);
    if (st.mode & 0o022)
      return {
        kind: 'damaged',
        reason: `others may write it (mode ${(st.mode & 0o777).toString(8)}): a record anyone can change is not trusted (chmod 600 ${file} if it is yours)`,
      };
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return { kind: 'missing' };
    return { kind: 'damaged', reason: `it cannot be read (${(err as Error).message})` };
  }
  const parsed = parseRecordFile(text);
  return 'record' in parsed
    ? { kind: 'ok', record: parsed.record }
    : { kind: 'damaged', reason: parsed.damaged };
}

export class InstallationWriteError extends Error {
  override name = 'InstallationWriteError';
}

/** Writes a record whole or not at all: aside, fsynced, renamed over the old one, the folder fsynced. */
export function writeInstallationFile(
  file: string,
  record: InstallationRecord,
  fs: InstallFs = nodeFs,
): void {
  const text = Buffer.from(formatRecordFile(record));
  const dir = dirname(file);
  const tmp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  let fd: number | undefined;
  try {
    fs.mkdirSync(dir, { recursive: true, mode: 0o700 });
    fd = fs.openSync(tmp, 'wx', 0o600);
    // A short write (a full disk) is continued; a failing one ends the write with the old record intact.
    for (let at = 0; at < text.length; ) at += fs.writeSync(fd, text, at, text.length - at);
    fs.fsyncSync(fd);
    fs.closeSync(fd);
    fd = undefined;
    fs.renameSync(tmp, file);
  } catch (err) {
    if (fd !== undefined) fs.closeSync(fd);
    try {
      fs.unlinkSync(tmp);
    } catch {
      // never created, or already renamed
    }
    throw new InstallationWriteError(
      `could not write ${file} (${(err as Error).message}); the record on disk is unchanged`,
    );
  }
  // The rename itself on disk: a power cut after this keeps the new record.
  const dfd = fs.openSync(dir, 'r');
  try {
    fs.fsyncSync(dfd);
  } finally {
    fs.closeSync(dfd);
  }
}

export type Refused = { ok: false; reason: string };
export type InstalledFor = { ok: true; hardware: RigHardwareLimits; entry: InstalledChannel };

const backendName = (b: string) => (b === 'sim' ? 'the simulated rig' : `the ${b} backend`);

/** A rig's installation as loaded at start, and the checked ways to change it. */
export class RigInstallation {
  private constructor(
    readonly file: string,
    readonly rigId: string,
    readonly backend: IoBackend,
    private loaded: LoadedInstallation,
    private readonly now: () => number,
    private readonly fs: InstallFs,
  ) {}

  /** Loads the rig's record; on the simulated rig a missing one is seeded with the rig as built. */
  static open(o: {
    dataDir: string;
    rigId: string;
    backend: IoBackend;
    now?: () => number;
    fs?: InstallFs;
  }): RigInstallation {
    const file = installationFile(o.dataDir, o.rigId);
    const fs = o.fs ?? nodeFs;
    const inst = new RigInstallation(
      file,
      o.rigId,
      o.backend,
      readInstallationFile(file, fs),
      o.now ?? Date.now,
      fs,
    );
    if (inst.loaded.kind === 'missing' && o.backend === 'sim') {
      const record: InstallationRecord = {
        format: 'cellrig-installation',
        version: 1,
        rigId: o.rigId,
        backend: 'sim',
        hardware: REFERENCE_RIG,
        hardwareSet: inst.provenance(
          'sim-seed',
          'the reference rig (REFERENCE_RIG in src/rig/hardware-limits.ts), as the simulator models it',
        ),
        channels: {},
      };
      try {
        writeInstallationFile(file, record, fs);
        inst.loaded = { kind: 'ok', record };
      } catch (err) {
        inst.loaded = { kind: 'damaged', reason: (err as Error).message };
      }
    }
    return inst;
  }

  /** The record as loaded (also when it belongs to another kind of rig). */
  get state(): LoadedInstallation {
    return this.loaded;
  }

  /** Why nothing on this rig may run, in words with the way out, or undefined when the record serves. */
  get refusal(): string | undefined {
    const l = this.loaded;
    if (l.kind === 'missing')
      return `rig ${this.rigId} has no installation record (${this.file}): a real rig's hardware limits and load-cell calibrations are installed before its press or oven runs. Stop cellrig, run \`cellrig install hardware --reference\` (a rig built like the reference rig) or \`--file limits.json\`, then \`cellrig calibrate --channel chN --known-n N\` for each channel with the press released`;
    if (l.kind === 'damaged')
      return `the installation record ${this.file} is damaged: ${l.reason}. The press and the oven do not run on an installation that cannot be trusted. Stop cellrig; \`cellrig install show\` says what is wrong; \`cellrig install hardware\` writes a new record (the damaged one is kept aside), then calibrate each channel with the press released`;
    const r = l.record;
    if (r.rigId !== this.rigId)
      return `the installation record ${this.file} is for rig ${r.rigId}, not ${this.rigId}: it was copied from another rig; install this one (cellrig install hardware, then cellrig calibrate)`;
    if (!sameKindOfRig(r.backend, this.backend))
      return `the installation record ${this.file} was made on ${backendName(r.backend)} and this rig runs on ${backendName(this.backend)}: ${r.backend === 'sim' ? "the simulated rig's figures are not this rig's; " : ''}install it: stop cellrig, \`cellrig install hardware --reference\` (or --file), then \`cellrig calibrate --channel chN\` with the press released`;
    return undefined;
  }

  /** The record, when it serves this rig. */
  get record(): InstallationRecord | undefined {
    return this.refusal === undefined && this.loaded.kind === 'ok' ? this.loaded.record : undefined;
  }

  /** The rig's hardware limits, or why there are none. */
  hardware(): { ok: true; hardware: RigHardwareLimits } | Refused {
    const r = this.record;
    return r ? { ok: true, hardware: r.hardware } : { ok: false, reason: this.refusal ?? '' };
  }

  /**
   * The installation of a node's channel, checked against what the node was deployed with. On the
   * simulated rig a channel not yet in the record is seeded with the simulated channel as built.
   */
  channel(node: DeployedChannel): InstalledFor | Refused {
    const r = this.record;
    if (!r) return { ok: false, reason: this.refusal ?? '' };
    let entry = r.channels[node.channel];
    if (!entry && this.backend === 'sim') {
      const built = simChannelAsBuilt(node.muxPort);
      if (!built)
        return {
          ok: false,
          reason: `${this.rigId} ${node.channel}: the simulated rig has no load cell behind mux port ${node.muxPort}`,
        };
      try {
        entry = this.installChannel(
          node.channel,
          built,
          'sim-seed',
          `the simulated load cell behind mux port ${node.muxPort}, as built`,
        );
      } catch (err) {
        return { ok: false, reason: (err as Error).message };
      }
    }
    if (!entry) {
      const known = Object.keys(r.channels);
      return {
        ok: false,
        reason: `${this.rigId} ${node.channel} is not installed (${this.file} has ${known.length ? known.join(', ') : 'no channel yet'}): its press does not run until its load cell is calibrated. Stop cellrig and run \`cellrig calibrate --channel ${node.channel} --known-n N\` with the press released`,
      };
    }
    const mismatch = installationMismatch(node, entry, this.rigId);
    return mismatch ? { ok: false, reason: mismatch } : { ok: true, hardware: r.hardware, entry };
  }

  /**
   * Installs a channel (the record re-read first, so another channel's entry written meanwhile stays).
   * The callers are the checked paths: the calibration procedure (press released) and the simulated
   * rig's seed.
   */
  installChannel(
    name: string,
    channel: Omit<InstalledChannel, 'set'>,
    how: Provenance['how'],
    detail: string,
  ): InstalledChannel {
    const current = readInstallationFile(this.file, this.fs);
    this.loaded = current;
    const refusal = this.refusal;
    if (refusal || current.kind !== 'ok') throw new InstallationWriteError(refusal ?? 'no record');
    const entry: InstalledChannel = { ...channel, set: this.provenance(how, detail) };
    const record = { ...current.record, channels: { ...current.record.channels, [name]: entry } };
    writeInstallationFile(this.file, record, this.fs);
    this.loaded = { kind: 'ok', record };
    return entry;
  }

  /**
   * Sets the rig's hardware limits (checked by the record's schema and bounds). Channels whose installation
   * no longer fits the new limits are dropped and must be calibrated again; a record that was damaged or
   * made on another kind of rig is kept aside and replaced by one with no channels.
   */
  setHardware(
    hardware: RigHardwareLimits,
    detail: string,
  ): { dropped: { channel: string; why: string }[]; keptAside?: string } {
    const current = readInstallationFile(this.file, this.fs);
    this.loaded = current;
    let channels: InstallationRecord['channels'] = {};
    const dropped: { channel: string; why: string }[] = [];
    let keptAside: string | undefined;
    if (current.kind === 'ok' && !this.refusal) {
      for (const [name, entry] of Object.entries(current.record.channels)) {
        const why = channelMisfit(entry, hardware);
        if (why) dropped.push({ channel: name, why });
        else channels = { ...channels, [name]: entry };
      }
    } else if (current.kind !== 'missing') {
      keptAside = `${this.file}.${new Date(this.now()).toISOString().replace(/[:.]/g, '-')}.old`;
      this.fs.renameSync(this.file, keptAside);
      if (current.kind === 'ok')
        for (const name of Object.keys(current.record.channels))
          dropped.push({ channel: name, why: `installed on ${backendName(current.record.backend)}` });
    }
    const record: InstallationRecord = {
      format: 'cellrig-installation',
      version: 1,
      rigId: this.rigId,
      backend: this.backend,
      hardware,
      hardwareSet: this.provenance('install', detail),
      channels,
    };
    writeInstallationFile(this.file, record, this.fs);
    this.loaded = { kind: 'ok', record };
    return { dropped, ...(keptAside ? { keptAside } : {}) };
  }

  private provenance(how: Provenance['how'], detail: string): Provenance {
    return { at: new Date(this.now()).toISOString(), how, detail };
  }
}
