/**
 * The real EC-Lab runs in ../shared/data/eclab (beside the checkout; see its SOURCES.md): read in place,
 * never copied into the project.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';

export const ECLAB_DIR = path.join(__dirname, '..', '..', '..', 'shared', 'data', 'eclab');

/** The eight pairs: each run as the instrument's .mpr and EC-Lab's .mpt export of it. */
export const PAIRS = [
  'gcpl.issue_149',
  'gcpl.issue_226.I',
  'gcpl.pr_182.1',
  'geis.issue_149',
  'peis.issue_149',
  'peis.issue_225.with_ece',
  'mb.issue_149',
  'mb.issue_223',
] as const;

export function readEclab(name: string): Buffer {
  return readFileSync(path.join(ECLAB_DIR, name));
}
