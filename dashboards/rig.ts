/**
 * Rig dashboard: one rig's stack pressure (the foundation's panel, then against setpoint and band),
 * oven temperature against the profile, heater output, relay states, and events as annotations.
 */
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  type Dashboard,
  DashboardBuilder,
  MappingType,
  RowBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StateTimelinePanel } from '@grafana/grafana-foundation-sdk/statetimeline';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import {
  CHANNEL_FILTER,
  CURSOR_SYNC,
  channelVariable,
  eventsAnnotation,
  RIG_FILTER,
  rigVariable,
  UNIT_MPA,
} from './common';
import { influxDatasource, influxql } from './influxql';

export const RIG_DASHBOARD_UID = 'cellrig-rig';

const PRESSURE_WHERE = `${RIG_FILTER} AND ${CHANNEL_FILTER} AND $timeFilter`;

/** The foundation's panel: each channel's stack pressure, averaged per Grafana interval. */
export function stackPressurePanel(id: number): TimeseriesPanel {
  return new TimeseriesPanel()
    .id(id)
    .title('Stack pressure')
    .description('Stack pressure per cell channel, from the load cell and the die area.')
    .datasource(influxDatasource)
    .withTarget(
      influxql(
        'A',
        `SELECT mean("pressureMPa") FROM "pressure" WHERE ${PRESSURE_WHERE} GROUP BY time($__interval), "channel" fill(none)`,
      ).alias('$tag_channel'),
    )
    .unit(UNIT_MPA)
    .lineWidth(1)
    .height(9)
    .span(12);
}

function pressureBandPanel(id: number): TimeseriesPanel {
  const bandLine = [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }];
  return new TimeseriesPanel()
    .id(id)
    .title('Stack pressure against setpoint and band')
    .description('Measured pressure, the hold setpoint and the tolerance band (setpoint ± tolerance).')
    .datasource(influxDatasource)
    .withTarget(
      influxql(
        'A',
        `SELECT mean("pressureMPa") AS "pressure" FROM "pressure" WHERE ${PRESSURE_WHERE} GROUP BY time($__interval), "channel" fill(none)`,
      ).alias('$tag_channel $col'),
    )
    .withTarget(
      influxql(
        'B',
        `SELECT mean("setpointMPa") AS "setpoint", mean("setpointMPa") - mean("toleranceMPa") AS "band low", mean("setpointMPa") + mean("toleranceMPa") AS "band high" FROM "pressure" WHERE ${PRESSURE_WHERE} GROUP BY time($__interval), "channel" fill(none)`,
      ).alias('$tag_channel $col'),
    )
    .unit(UNIT_MPA)
    .overrideByRegexp('.*band (low|high)$', bandLine)
    .height(9)
    .span(12);
}

function temperaturePanel(id: number): TimeseriesPanel {
  return new TimeseriesPanel()
    .id(id)
    .title('Oven temperature against profile')
    .description("Measured temperature and the profile programmer's working setpoint.")
    .datasource(influxDatasource)
    .withTarget(
      influxql(
        'A',
        `SELECT mean("tempC") AS "measured", mean("setpointC") AS "profile" FROM "oven" WHERE ${RIG_FILTER} AND $timeFilter GROUP BY time($__interval), "channel" fill(none)`,
      ).alias('$tag_channel $col'),
    )
    .unit('celsius')
    .overrideByRegexp('.*profile$', [{ id: 'custom.lineStyle', value: { fill: 'dash', dash: [10, 10] } }])
    .height(9)
    .span(12);
}

function heaterPanel(id: number): TimeseriesPanel {
  return new TimeseriesPanel()
    .id(id)
    .title('Heater output')
    .description('Heater SSR duty (time-proportioning output, 0-100 %).')
    .datasource(influxDatasource)
    .withTarget(
      influxql(
        'A',
        `SELECT mean("heaterDuty") AS "duty" FROM "oven" WHERE ${RIG_FILTER} AND $timeFilter GROUP BY time($__interval), "channel" fill(none)`,
      ).alias('$tag_channel heater'),
    )
    .unit('percentunit')
    .min(0)
    .max(1)
    .lineInterpolation(common.LineInterpolation.StepAfter)
    .fillOpacity(20)
    .height(9)
    .span(12);
}

function relayPanel(id: number): StateTimelinePanel {
  const color = (text: string, c: string) => ({ text, color: c });
  return new StateTimelinePanel()
    .id(id)
    .title('Cell-channel relays')
    .description('Path of each cell channel: off, on the cycler, on the impedance analyser, isolated, fault.')
    .datasource(influxDatasource)
    .withTarget(
      influxql(
        'A',
        `SELECT last("state") FROM "relay" WHERE ${PRESSURE_WHERE} GROUP BY time($__interval), "channel" fill(previous)`,
      ).alias('$tag_channel'),
    )
    .mappings([
      {
        type: MappingType.ValueToText,
        options: {
          off: color('off', 'text'),
          cycler: color('cycler', 'green'),
          analyser: color('analyser', 'blue'),
          isolated: color('isolated', 'orange'),
          fault: color('fault', 'red'),
        },
      },
    ])
    .mergeValues(true)
    .showValue(common.VisibilityMode.Auto)
    .height(8)
    .span(12);
}

function eventsTablePanel(id: number): TablePanel {
  return new TablePanel()
    .id(id)
    .title('Events and alarms')
    .description('Controller events (segment changes, excursions) and alarms (trips, holdback, faults).')
    .datasource(influxDatasource)
    .withTarget(
      influxql(
        'A',
        `SELECT "kind", "code", "channel", "message" FROM "events" WHERE ${RIG_FILTER} AND $timeFilter ORDER BY time DESC LIMIT 200`,
      ).table(),
    )
    .height(8)
    .span(12);
}

export function rigDashboard(): Dashboard {
  return new DashboardBuilder('cellrig · Rig')
    .uid(RIG_DASHBOARD_UID)
    .description('One rig: stack pressure, oven, heater, relays and events.')
    .tags(['cellrig'])
    .time({ from: 'now-6h', to: 'now' })
    .refresh('10s')
    .tooltip(CURSOR_SYNC)
    .readonly()
    .withVariable(rigVariable({ multi: false }))
    .withVariable(channelVariable({ multi: true }))
    .annotation(eventsAnnotation())
    .withRow(new RowBuilder('Stack pressure').id(1))
    .withPanel(stackPressurePanel(2))
    .withPanel(pressureBandPanel(3))
    .withRow(new RowBuilder('Oven').id(4))
    .withPanel(temperaturePanel(5))
    .withPanel(heaterPanel(6))
    .withRow(new RowBuilder('Cell channels').id(7))
    .withPanel(relayPanel(8))
    .withPanel(eventsTablePanel(9))
    .build();
}
