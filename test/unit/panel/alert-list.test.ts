import { describe, expect, it } from 'vitest';
import { AlertList } from '../../../src/panel/alert-list';

const state = (channel: string, kind: string, st: string, severity: string, changedMs: number) => ({
  channel,
  kind,
  state: st,
  severity,
  message: `${channel}: ${kind}`,
  cycle: 22,
  sinceMs: 0,
  changedMs,
});

describe('alert list', () => {
  it('lists what needs someone first, critical before warning, newest first, and drops cleared ones', () => {
    const l = new AlertList();
    l.accept(state('ch2', 'resistance-growth', 'active', 'warning', 1));
    l.accept(state('ch1', 'resistance-growth', 'acknowledged', 'warning', 2));
    l.accept(state('ch1', 'soft-short', 'active', 'critical', 3));
    const rows = l.accept(state('ch3', 'capacity-fade', 'latched', 'warning', 4))!;
    expect(rows.map((r) => `${r.channel} ${r.kind} ${r.needsAck}`)).toEqual([
      'ch1 soft-short true',
      'ch3 capacity-fade true',
      'ch2 resistance-growth true',
      'ch1 resistance-growth false',
    ]);
    expect(l.accept(state('ch3', 'capacity-fade', 'normal', 'warning', 5))!.map((r) => r.key)).not.toContain(
      'ch3/capacity-fade',
    );
  });

  it('ignores what is not an alert state', () => {
    const l = new AlertList();
    expect(l.accept({ channel: 'ch1' })).toBeNull();
    expect(l.accept('ack')).toBeNull();
    expect(l.list()).toEqual([]);
  });
});
