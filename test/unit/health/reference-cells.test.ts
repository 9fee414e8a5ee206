import { describe, expect, it } from 'vitest';
import { lnoCell, pristineCell, tfaaCell } from '../../../devices/sim/models/cell-params';
import { assessCell } from '../../../src/health/assess';
import type { SoftShortCycle } from '../../../src/health/soft-short';
import { simulatedInput } from './sim-cells';

const pristine = assessCell(simulatedInput(pristineCell, 1, 100));
const lno = assessCell(simulatedInput(lnoCell, 1, 100));
const tfaa = assessCell(simulatedInput(tfaaCell, 1, 100));
const kinds = (h: typeof pristine) => h.alerts.map((a) => a.kind).sort();

describe('health of the three reference cells (seed 1, 100 cycles)', () => {
  it('flags the pristine soft short at cycle 60, not before', () => {
    expect(pristine.softShort.onsetCycle).toBe(60);
    expect(pristine.softShort.cycles.filter((c) => c.cycle < 60 && c.flagged)).toEqual([]);
  });

  it('gives the soft short its evidence: a stalled charge, charge that never came back, a decaying rest', () => {
    const e = pristine.softShort.evidence as SoftShortCycle;
    const present = e.signals.filter((s) => s.present).map((s) => s.name);
    expect(present).toEqual(['charge-stall', 'charge-overshoot', 'rest-decay']);
    expect(e.baselineCycles).toEqual([55, 56, 57, 58, 59]);
    const overshoot = e.signals.find((s) => s.name === 'charge-overshoot')!;
    expect(overshoot.value).toBeGreaterThan(1.5);
    expect(overshoot.detail).toMatch(/coulombic efficiency 0\.5\d+ vs baseline 0\.99/);
  });

  it('says "growing" for pristine and LNO, and alarms on both', () => {
    expect(pristine.resistance.verdict).toBe('growing');
    expect(lno.resistance.verdict).toBe('growing');
    expect(kinds(lno)).toEqual(['resistance-growth']);
    expect(pristine.alerts.find((a) => a.kind === 'resistance-growth')!.cycle).toBeLessThanOrEqual(25);
    expect(lno.resistance.evidence.relativeSlopePerCycle!).toBeGreaterThan(0.015);
  });

  it('says "stabilised" for TFAA and raises no alert over 100 cycles', () => {
    expect(tfaa.resistance.verdict).toBe('stabilised');
    expect(Math.abs(tfaa.resistance.evidence.relativeSlopePerCycle!)).toBeLessThan(0.002);
    expect(tfaa.alerts).toEqual([]);
    expect(tfaa.softShort.cycles.every((c) => !c.flagged)).toBe(true);
  });

  it('computes retention at cycle 100 as 78 % (pristine) and 95 % (TFAA) within 1 %', () => {
    const at100 = (h: typeof pristine) => h.retention.find((r) => r.cycle === 100)!.retention;
    expect(Math.abs(at100(pristine) - 0.78)).toBeLessThan(0.01);
    expect(Math.abs(at100(tfaa) - 0.95)).toBeLessThan(0.01);
  });

  it('raises capacity fade for pristine once it keeps under 80 %, and for no other cell', () => {
    const fade = pristine.alerts.find((a) => a.kind === 'capacity-fade')!;
    expect(fade.cycle).toBeGreaterThan(85);
    expect(pristine.retention.find((r) => r.cycle === fade.cycle)!.retention).toBeLessThan(0.8);
    expect(kinds(pristine)).toEqual(['capacity-fade', 'resistance-growth', 'soft-short']);
  });

  it('never flags a soft short in LNO or TFAA over seeds 1-10', () => {
    let falseAlarms = 0;
    for (let seed = 1; seed <= 10; seed++) {
      for (const p of [lnoCell, tfaaCell]) {
        if (assessCell(simulatedInput(p, seed, 100)).softShort.detected) falseAlarms++;
      }
    }
    expect(falseAlarms).toBe(0);
  }, 60_000);
});
