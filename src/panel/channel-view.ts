/**
 * One cell channel on the panel, from the messages the rig's nodes send anyway: its stack pressure
 * against setpoint and band as chart points, and a readout merged from every stream about the channel
 * (pressure hold, relay state, the cycler's latest voltage and current, the last cycle's retention and
 * R_CAT). The readout goes out with each pressure sample and relay change, so a panel opened later
 * still gets all of it at once. Setpoint and band are flat most of the time: their lines get a point
 * when they change (the old level closed at that instant, so a change draws as a step) and every
 * LEVEL_EVERY_MS to reach the present, not one with every sample, which would keep four times the
 * points in the chart's ten-minute history (memory on a Pi).
 */
import { type ChartPoint, finite } from './chart';

export type ChannelReadout = {
  channel: string;
  cell?: string;
  coating?: string;
  ts?: number;
  pressureMPa?: number;
  setpointMPa?: number;
  toleranceMPa?: number;
  /** The hold's phase (idle, ramp, hold, release, tripped, fault) and whether it is in the band. */
  phase?: string;
  inBand?: boolean;
  excursion?: boolean;
  alarms?: string;
  /** off, cycler, analyser, fault or isolated. */
  relay?: string;
  voltageV?: number;
  currentA?: number;
  cycle?: number;
  retention?: number;
  dischargeMAh?: number;
  rCatOhm?: number;
};

type Msg = { channel?: unknown; stream?: unknown; payload?: unknown };

/** How often an unchanged setpoint and band get a point, so their lines reach the present. */
export const LEVEL_EVERY_MS = 30_000;

type Level = { setpointMPa: number | undefined; toleranceMPa: number | undefined; ts: number };

export class ChannelView {
  private readonly readout: ChannelReadout;
  private level: Level | undefined;

  constructor(readonly channel: string) {
    this.readout = { channel };
  }

  /** Chart points for a pressure sample, and the readout when it changed in a way worth showing now. */
  accept(msg: Msg): { points: ChartPoint[] | null; readout: ChannelReadout | null } {
    const p = msg.payload;
    if (typeof p !== 'object' || p === null) return { points: null, readout: null };
    const f = p as Record<string, unknown>;
    const r = this.readout;
    if (msg.stream === 'relays') {
      if (typeof f[this.channel] !== 'string') return { points: null, readout: null };
      r.relay = f[this.channel] as string;
      return { points: null, readout: { ...r } };
    }
    if (msg.channel !== this.channel) return { points: null, readout: null };
    if (typeof f.cell === 'string') r.cell = f.cell;
    if (typeof f.coating === 'string') r.coating = f.coating;
    if (msg.stream === 'cycling') {
      if (finite(f.voltageV)) r.voltageV = f.voltageV;
      if (finite(f.currentA)) r.currentA = f.currentA;
    } else if (msg.stream === 'cycle') {
      if (finite(f.cycle)) r.cycle = f.cycle;
      if (finite(f.retention)) r.retention = f.retention;
      if (finite(f.dischargeMAh)) r.dischargeMAh = f.dischargeMAh;
    } else if (msg.stream === 'eis-fit') {
      if (finite(f.rCatOhm)) r.rCatOhm = f.rCatOhm;
    } else if (msg.stream === 'pressure' && finite(f.pressureMPa) && finite(f.ts)) {
      return { points: this.pressure(f, f.ts, f.pressureMPa), readout: { ...r } };
    }
    return { points: null, readout: null };
  }

  private pressure(f: Record<string, unknown>, ts: number, pressureMPa: number): ChartPoint[] {
    const r = this.readout;
    r.ts = ts;
    r.pressureMPa = pressureMPa;
    for (const key of ['setpointMPa', 'toleranceMPa'] as const) {
      if (finite(f[key])) r[key] = f[key];
      else delete r[key];
    }
    r.phase = typeof f.phase === 'string' ? f.phase : undefined;
    r.inBand = typeof f.inBand === 'boolean' ? f.inBand : undefined;
    r.excursion = typeof f.excursion === 'boolean' ? f.excursion : undefined;
    r.alarms = typeof f.alarms === 'string' ? f.alarms : undefined;
    const points: ChartPoint[] = [{ series: 'pressure', x: ts, y: pressureMPa }];
    const last = this.level;
    const changed = !last || last.setpointMPa !== r.setpointMPa || last.toleranceMPa !== r.toleranceMPa;
    if (changed) {
      if (last) points.push(...levelPoints(last.setpointMPa, last.toleranceMPa, ts));
      points.push(...levelPoints(r.setpointMPa, r.toleranceMPa, ts));
      this.level = { setpointMPa: r.setpointMPa, toleranceMPa: r.toleranceMPa, ts };
    } else if (ts - last.ts >= LEVEL_EVERY_MS) {
      points.push(...levelPoints(r.setpointMPa, r.toleranceMPa, ts));
      last.ts = ts;
    }
    return points;
  }
}

function levelPoints(sp: number | undefined, tol: number | undefined, ts: number): ChartPoint[] {
  if (sp === undefined) return [];
  const points: ChartPoint[] = [{ series: 'setpoint', x: ts, y: sp }];
  if (tol !== undefined)
    points.push({ series: 'band high', x: ts, y: sp + tol }, { series: 'band low', x: ts, y: sp - tol });
  return points;
}
