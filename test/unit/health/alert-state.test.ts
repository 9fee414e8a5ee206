import { describe, expect, it } from 'vitest';
import { AlertBook, type AlertCondition, alertRuleSchema } from '../../../src/health/alert-state';

const rule = alertRuleSchema.parse({
  raiseAfter: 2,
  clearAfter: 2,
  rateLimitCount: 2,
  rateLimitWindowMs: 60_000,
});
const cond = (active: boolean, over: Partial<AlertCondition> = {}): AlertCondition => ({
  channel: 'ch1',
  kind: 'soft-short',
  active,
  severity: 'critical',
  message: 'soft short',
  ...over,
});

describe('alert state', () => {
  it('raises only after the condition holds twice in a row (hysteresis on the way up)', () => {
    const book = new AlertBook(rule);
    expect(book.update(cond(true), 0).notification).toBeNull();
    expect(book.update(cond(false), 1).state.state).toBe('normal');
    expect(book.update(cond(true), 2).notification).toBeNull();
    const u = book.update(cond(true, { cycle: 60 }), 3);
    expect(u.state.state).toBe('active');
    expect(u.changed).toBe(true);
    expect(u.notification).toMatchObject({
      channel: 'ch1',
      kind: 'soft-short',
      severity: 'critical',
      cycle: 60,
    });
  });

  it('stays latched after the condition goes away, until acknowledged', () => {
    const book = new AlertBook(rule);
    book.update(cond(true), 0);
    book.update(cond(true), 1);
    book.update(cond(false), 2);
    expect(book.get('ch1', 'soft-short')!.state).toBe('active');
    expect(book.update(cond(false), 3).state.state).toBe('latched');
    expect(book.update(cond(false), 4).state.state).toBe('latched');
    expect(book.acknowledge('ch1', undefined, 5).map((s) => s.state)).toEqual(['normal']);
  });

  it('de-duplicates: a condition that keeps holding notifies once, a higher severity notifies again', () => {
    const book = new AlertBook(rule);
    const notes = [0, 1, 2, 3, 4].map(
      (t) => book.update(cond(true, { severity: 'warning' }), t).notification,
    );
    expect(notes.filter(Boolean)).toHaveLength(1);
    const up = book.update(cond(true, { severity: 'critical' }), 5);
    expect(up.notification?.severity).toBe('critical');
    expect(book.update(cond(true, { severity: 'critical' }), 6).notification).toBeNull();
  });

  it('keeps quiet after acknowledgement while the condition holds, and raises anew after it cleared', () => {
    const book = new AlertBook(rule);
    book.update(cond(true), 0);
    book.update(cond(true), 1);
    expect(book.acknowledge('ch1', 'soft-short', 2)[0]!.state).toBe('acknowledged');
    expect(book.update(cond(true), 3).notification).toBeNull();
    book.update(cond(false), 4);
    expect(book.update(cond(false), 5).state.state).toBe('normal');
    book.update(cond(true), 6);
    expect(book.update(cond(true), 7).notification).not.toBeNull();
  });

  it('rate-limits notifications per channel, never state changes, and counts what it held back', () => {
    const book = new AlertBook({ ...rule, raiseAfter: 1 });
    const kinds = ['a', 'b', 'c', 'd'];
    const ups = kinds.map((kind, i) => book.update(cond(true, { kind }), i * 1000));
    expect(ups.map((u) => u.notification !== null)).toEqual([true, true, false, false]);
    expect(ups.every((u) => u.state.state === 'active' && u.changed)).toBe(true);
    expect(ups[3]!.rateLimited).toBe(true);
    // Another channel has its own allowance.
    expect(book.update(cond(true, { channel: 'ch2' }), 4000).notification).not.toBeNull();
    // After the window, the next notification says how many were held back.
    const later = book.update(cond(true, { kind: 'e' }), 61_000);
    expect(later.notification?.suppressedBefore).toBe(2);
  });

  it('restores its states from a snapshot, so a restart neither forgets nor repeats an alert', () => {
    const book = new AlertBook(rule);
    book.update(cond(true), 0);
    book.update(cond(true), 1);
    const again = new AlertBook(rule, JSON.parse(JSON.stringify(book.snapshot())));
    expect(again.get('ch1', 'soft-short')!.state).toBe('active');
    expect(again.update(cond(true), 2).notification).toBeNull();
  });

  it('rejects a rule with a zero hysteresis count, naming the field', () => {
    const r = alertRuleSchema.safeParse({ raiseAfter: 0 });
    expect(r.success).toBe(false);
    expect(r.error!.issues[0]!.path).toEqual(['raiseAfter']);
  });
});
