import { describe, expect, it } from 'vitest';
import { AlertBook, alertRuleSchema } from '../../../src/health/alert-state';
import { channelAlertFields, conditionsFromHealth } from '../../../src/health/conditions';

describe('from cell health to alert conditions', () => {
  it('gives one condition per kind, absent kinds inactive, with a message naming the evidence', () => {
    const c = conditionsFromHealth({
      channel: 'ch1',
      cycle: 61,
      alerts: [
        {
          kind: 'soft-short',
          severity: 'critical',
          cycle: 60,
          active: true,
          evidence: {
            signals: [
              { name: 'charge-stall', present: true },
              { name: 'rest-decay', present: false },
            ],
          },
        },
      ],
    });
    expect(c.map((x) => [x.kind, x.active])).toEqual([
      ['soft-short', true],
      ['resistance-growth', false],
      ['capacity-fade', false],
    ]);
    expect(c[0]!.message).toBe('ch1: soft short from cycle 60 (charge-stall)');
    // What a cleared alert says, in a sentence.
    expect(c[2]!.message).toBe('ch1: capacity fade no longer seen (cycle 61)');
  });

  it("publishes the channel's most severe raised alert, whichever kind changed last", () => {
    const book = new AlertBook(alertRuleSchema.parse({}));
    const base = { channel: 'ch1', message: 'm' } as const;
    book.update({ ...base, kind: 'soft-short', active: true, severity: 'critical', cycle: 60 }, 1);
    const last = book.update(
      { ...base, kind: 'capacity-fade', active: true, severity: 'warning', cycle: 94 },
      2,
    );
    const f = channelAlertFields(book.snapshot(), last.state);
    expect(f).toMatchObject({
      level: 2,
      kind: 'soft-short',
      cycle: 60,
      softShort: 'active',
      capacityFade: 'active',
    });
    book.acknowledge('ch1', undefined, 3);
    const calm = book.update({ ...base, kind: 'soft-short', active: false, severity: 'info' }, 4);
    expect(channelAlertFields(book.snapshot(), calm.state).level).toBe(2);
  });
});
