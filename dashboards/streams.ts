/**
 * The measurements and fields the dashboards and alert rules read: one measurement per telemetry stream
 * (`cellrig/v1/<rig>/<channel>/<stream>`), tags rig, channel, cell, coating, and `seq` on every point.
 * This is the contract between the nodes that publish and Grafana (the fields' kinds are STREAMS',
 * src/telemetry/schemas.ts, the publisher's own declaration): a producer that renames a field
 * breaks a panel, and the dashboard check (test/integration/dashboards.test.ts) writes one sample of
 * each stream below and runs every query against it.
 *
 * `pressure` and `events` are what the stack-pressure node publishes (nodes/stack-pressure/messages.ts),
 * `oven` and `events` what thermal-profile publishes; `relay` and the cell streams are the names the
 * cell-channels and cell-health nodes are to publish.
 */
import type { STREAMS } from '../src/telemetry/schemas';

type Declared = typeof STREAMS;

/**
 * Per stream, what the channel tag holds and the fields the dashboards read: names only, each one a field
 * STREAMS declares (the compiler checks), whose kind is STREAMS' own.
 */
type DashboardContract = {
  readonly [S in keyof Declared]?: {
    readonly channel: string;
    readonly fields: readonly (keyof Declared[S]['fields'])[];
  };
};

export const DASHBOARD_STREAMS = {
  /** Stack pressure per cell channel; setpoint and tolerance while the pressure hold runs. */
  pressure: {
    channel: 'cell channel (ch1, ch2, ...)',
    fields: ['pressureMPa', 'forceN', 'setpointMPa', 'toleranceMPa'],
  },
  /**
   * The drying oven (thermal-profile node): measured temperature, the profile's working setpoint, and the
   * heater SSR's duty 0..1 (time-proportioning) with its safety contactor.
   */
  oven: {
    channel: 'oven',
    fields: ['tempC', 'setpointC', 'heaterDuty', 'heaterEnabled'],
  },
  /** Cell-channel relays (src/control/interlock.ts ChannelState): off, cycler, analyser, isolated, fault. */
  relay: { channel: 'cell channel', fields: ['state'] },
  /**
   * Controller events and alarms (src/control/events.ts eventFields): kind is 'event' or 'alarm'. The
   * stack-pressure node sends them on the cell channel, thermal-profile on 'oven'.
   */
  events: {
    channel: 'oven or cell channel',
    fields: ['kind', 'code', 'message', 'timeS'],
  },
  /** Cell-health alert state: level 0 clear, 1 warning, 2 critical. */
  alert: { channel: 'cell channel', fields: ['level', 'kind', 'message'] },
  /** Cycler trace. */
  cycling: { channel: 'cell channel', fields: ['voltageV', 'currentA', 'cycle'] },
  /** One point per finished cycle. */
  cycle: {
    channel: 'cell channel',
    fields: ['cycle', 'chargeMAh', 'dischargeMAh', 'retention', 'coulombicEfficiency'],
  },
  /**
   * Equivalent-circuit fit of the spectrum taken after a cycle: R_CAT and its standard error only when
   * determined (rCatDetermined says which; the reason is in the cell-health payload).
   */
  'eis-fit': {
    channel: 'cell channel',
    fields: [
      'cycle',
      'rSeOhm',
      'rCatOhm',
      'rCatStderrOhm',
      /** 1 when R_CAT was determined, 0 when not (a number, so it plots and sums). */
      'rCatDetermined',
      'rmse',
    ],
  },
  /**
   * The detectors' evidence per cycle (nodes/cell-health/telemetry.ts): the CE against its baseline,
   * the CUSUM and its threshold (5 x the cell's CE scatter), the voltage scatter in constant-current
   * steps with the rest-slope and dip thresholds scaled to it, and R_CAT normalised (25 C, 150 MPa)
   * with its growth per cycle and 95 % interval.
   */
  health: {
    channel: 'cell channel',
    fields: [
      'cycle',
      'ceBaseline',
      'ceCusum',
      'ceThreshold',
      'ceSigma',
      'voltageNoiseV',
      'restSlopeVPerH',
      'restSlopeThresholdVPerH',
      'chargeDipV',
      'chargeDipThresholdV',
      'rCatNormalisedOhm',
      'rCatGrowthPerCycle',
      'rCatGrowthLower',
      'rCatGrowthUpper',
      /** 1 when this cycle was flagged by the soft-short detector, else 0. */
      'softShortFlagged',
    ],
  },
  /** One point per frequency of a spectrum (ts advanced 1 ms per point so points stay distinct). */
  spectrum: {
    channel: 'cell channel',
    fields: ['cycle', 'fHz', 'reOhm', 'imOhm'],
  },
} as const satisfies DashboardContract;

export type StreamName = keyof typeof DASHBOARD_STREAMS;

type ValueOf<K> = K extends 'number' ? number : K extends 'boolean' ? boolean : string;

/** The fields of one sample of a stream as the dashboards read them, typed by STREAMS' declaration. */
export type StreamFields<S extends StreamName> = {
  -readonly [F in (typeof DASHBOARD_STREAMS)[S]['fields'][number]]: ValueOf<
    Declared[S]['fields'][F & keyof Declared[S]['fields']]
  >;
};
