/**
 * Columns EC-Lab's text export computes from stored ones, computed the same way for a binary file that
 * lacks them, so a .mpr and its .mpt give the same table. Each rule was checked against the exports of
 * the pairs in ../shared/data/eclab (test/unit/instruments/eclab-mpr.test.ts):
 *   cycle number   = floor(half cycle / 2): EC-Lab's half cycles alternate charge (even) and
 *                    discharge (odd), and a cycle is a charge and the discharge after it;
 *   <I>/mA         = dq / dt (dq in mA.h, dt the time since the previous point; 0 on the first point),
 *                    for files that record the charge passed but not the current;
 *   Re(Z), -Im(Z)  = |Z| cos(phase), -|Z| sin(phase) rounded to float32, for files that record only
 *                    modulus and phase.
 */
import type { EcLabTable } from './table';

export function addDerivedColumns(table: EcLabTable): EcLabTable {
  const columns = new Map(table.columns);
  const derived: string[] = [...table.derived];
  const add = (name: string, values: Float64Array) => {
    columns.set(name, values);
    derived.push(name);
  };
  const half = columns.get('half cycle');
  if (!columns.has('cycle number') && half)
    add(
      'cycle number',
      half.map((h) => Math.floor(h / 2)),
    );

  const dq = columns.get('dq/mA.h');
  const time = columns.get('time/s');
  if (!columns.has('I/mA') && !columns.has('<I>/mA') && dq && time) {
    const current = new Float64Array(dq.length);
    for (let k = 1; k < dq.length; k++) {
      const dt = time[k]! - time[k - 1]!;
      current[k] = dt > 0 ? (dq[k]! * 3600) / dt : 0;
    }
    add('<I>/mA', current);
  }

  const modulus = columns.get('|Z|/Ohm');
  const phase = columns.get('Phase(Z)/deg');
  if (!columns.has('Re(Z)/Ohm') && !columns.has('-Im(Z)/Ohm') && modulus && phase) {
    const rad = phase.map((p) => (p * Math.PI) / 180);
    // In double, then rounded to float32 as EC-Lab stores them: every printed digit then agrees.
    add(
      'Re(Z)/Ohm',
      modulus.map((z, k) => Math.fround(z * Math.cos(rad[k]!))),
    );
    add(
      '-Im(Z)/Ohm',
      modulus.map((z, k) => Math.fround(-z * Math.sin(rad[k]!))),
    );
  }
  return derived.length === table.derived.length ? table : { ...table, columns, derived };
}
