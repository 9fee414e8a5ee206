/**
 * Each panel-feed view turns the rig's own messages into what one chart and one readout widget show:
 * output 1 a chart message (points, `action: "replace"` when the chart starts over), output 2 the
 * readout as msg.payload. The shaping lives in src/panel; this file only picks the view and builds msgs.
 */
import type { NodeMessage } from 'node-red';
import type { ProfileCheck } from '../../src/control/profile-check';
import { AlertList } from '../../src/panel/alert-list';
import { ChannelView } from '../../src/panel/channel-view';
import type { ChartPoint } from '../../src/panel/chart';
import { CyclingView, type Quantity } from '../../src/panel/cycling-view';
import { ImpedanceView, type SpectrumMessage } from '../../src/panel/impedance-view';
import { OvenView } from '../../src/panel/oven-view';
import { profileEditorView } from '../../src/panel/profile-editor';

export type FeedOut = [NodeMessage | null, NodeMessage | null];
export type Feed = (msg: NodeMessage & Record<string, unknown>) => FeedOut;

const chart = (points: ChartPoint[], extra: Record<string, unknown> = {}): NodeMessage =>
  ({ payload: points, ...extra }) as NodeMessage;
const readout = (payload: unknown, topic: string): NodeMessage => ({ topic, payload }) as NodeMessage;

export function channelFeed(channel: string): Feed {
  const view = new ChannelView(channel);
  return (msg) => {
    const r = view.accept(msg);
    return [r.points ? chart(r.points) : null, r.readout ? readout(r.readout, `${channel}/readout`) : null];
  };
}

/** The cycler's voltage or current trace, one series per channel. */
export function cyclingFeed(quantity: Quantity): Feed {
  const view = new CyclingView(quantity);
  return (msg) => {
    const points = view.accept(msg);
    return [points ? chart(points) : null, null];
  };
}

export function ovenFeed(): Feed {
  const view = new OvenView();
  return (msg) => {
    const r = view.accept(msg as never);
    return [
      r.points ? chart(r.points, r.replace ? { action: 'replace' } : {}) : null,
      r.readout ? readout(r.readout, 'oven/readout') : null,
    ];
  };
}

/** The Nyquist plot (`nyquist`) or the DRT (`drt`, log tau axis) of the selected channel's last spectrum. */
export function impedanceFeed(kind: 'nyquist' | 'drt'): Feed {
  const view = new ImpedanceView();
  const logX = { chartOptions: { xAxis: { type: 'log' } } };
  return (msg) => {
    if (!view.accept(msg as SpectrumMessage & { topic?: unknown })) return [null, null];
    const points = kind === 'nyquist' ? view.nyquist() : view.drt();
    return [
      points ? chart(points, { action: 'replace', ...(kind === 'drt' ? { ui_update: logX } : {}) }) : null,
      readout(view.readout(), `${kind}/readout`),
    ];
  };
}

export function alertsFeed(): Feed {
  const list = new AlertList();
  return (msg) => {
    const rows = list.accept(msg.payload);
    return [null, rows ? readout(rows, 'alerts') : null];
  };
}

/** Drafts (msg.topic "check") checked by the oven's own node; `check` is null when it cannot be found. */
export function profileFeed(check: () => ((profile: unknown) => ProfileCheck) | string): Feed {
  return (msg) => {
    if (msg.topic !== 'check') return [null, null];
    const checker = check();
    const r = profileEditorView(
      msg.payload,
      typeof checker === 'string' ? () => ({ ok: false, problems: [checker] }) : checker,
    );
    return [chart(r.points, { action: 'replace' }), readout(r.readout, 'profile/readout')];
  };
}
