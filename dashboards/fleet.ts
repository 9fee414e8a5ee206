/**
 * Fleet dashboard: every rig at a glance: online (samples in the last minute), when each was last
 * heard from, Grafana's firing alerts and the rigs' own cell alerts, pressure and temperature sparklines.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  type Dashboard,
  DashboardBuilder,
  MappingType,
  type Panel,
  ThresholdsConfigBuilder,
  ThresholdsMode,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as StatPanel } from '@grafana/grafana-foundation-sdk/stat';
import { PanelBuilder as TablePanel } from '@grafana/grafana-foundation-sdk/table';
import { CURSOR_SYNC, RIG_FILTER, rigVariable, UNIT_MPA } from './common';
import { influxDatasource, influxql } from './influxql';

export const FLEET_DASHBOARD_UID = 'cellrig-fleet';

/**
 * Grafana's alert list panel (state of the provisioned alert rules). It runs no datasource query, and
 * the SDK has no builder for it, so this is a typed Panel with the panel's documented options.
 */
class AlertListPanel implements cog.Builder<Panel> {
  constructor(private readonly panel: Panel) {}
  build(): Panel {
    return this.panel;
  }
}

function onlinePanel(id: number): StatPanel {
  return new StatPanel()
    .id(id)
    .title('$rig')
    .description('Online when the rig sent stack pressure in the last minute.')
    .datasource(influxDatasource)
    .withTarget(
      influxql('A', `SELECT count("seq") FROM "pressure" WHERE ${RIG_FILTER} AND time > now() - 1m`),
    )
    .repeat('rig')
    .repeatDirection('h')
    .maxPerRow(8)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Background)
    .noValue('offline')
    .mappings([{ type: MappingType.RangeToText, options: { from: 1, to: null, result: { text: 'online' } } }])
    .thresholds(
      new ThresholdsConfigBuilder().mode(ThresholdsMode.Absolute).steps([
        { value: null, color: 'red' },
        { value: 1, color: 'green' },
      ]),
    )
    .height(4)
    .span(24);
}

function lastSeenPanel(id: number): TablePanel {
  return new TablePanel()
    .id(id)
    .title('Last sample per rig')
    .description('Time of the last stack-pressure sample and its sequence number, per rig.')
    .datasource(influxDatasource)
    .withTarget(
      influxql(
        'A',
        `SELECT last("seq") AS "last seq" FROM "pressure" WHERE ${RIG_FILTER} AND $timeFilter GROUP BY "rig"`,
      ).table(),
    )
    .overrideByName('Time', [{ id: 'unit', value: 'dateTimeFromNow' }])
    .height(8)
    .span(8);
}

function alertListPanel(id: number): AlertListPanel {
  return new AlertListPanel({
    type: 'alertlist',
    id,
    title: 'Firing and pending Grafana alerts',
    description: 'State of the provisioned cellrig alert rules.',
    gridPos: { h: 8, w: 8, x: 8, y: 4 },
    options: {
      viewMode: 'list',
      groupMode: 'default',
      groupBy: [],
      maxItems: 20,
      sortOrder: 1,
      dashboardAlerts: false,
      alertName: '',
      alertInstanceLabelFilter: '',
      stateFilter: { firing: true, pending: true, noData: true, normal: false, error: true },
    },
  });
}

function cellAlertsPanel(id: number): TablePanel {
  return new TablePanel()
    .id(id)
    .title('Cell alerts from the rigs')
    .description('Latest alert state each rig published per channel (level 0 clear, 1 warning, 2 critical).')
    .datasource(influxDatasource)
    .withTarget(
      influxql(
        'A',
        `SELECT last("level") AS "level", last("kind") AS "kind", last("message") AS "message" FROM "alert" WHERE ${RIG_FILTER} AND $timeFilter GROUP BY "rig", "channel"`,
      ).table(),
    )
    .height(8)
    .span(8);
}

function sparklines(id: number, title: string, query: string, unit: string): StatPanel {
  return new StatPanel()
    .id(id)
    .title(title)
    .datasource(influxDatasource)
    .withTarget(influxql('A', query).alias('$tag_rig $tag_channel'))
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(['lastNotNull']).values(false))
    .graphMode(common.BigValueGraphMode.Area)
    .colorMode(common.BigValueColorMode.None)
    .textMode(common.BigValueTextMode.ValueAndName)
    .unit(unit)
    .height(8)
    .span(12);
}

export function fleetDashboard(): Dashboard {
  return new DashboardBuilder('cellrig · Fleet')
    .uid(FLEET_DASHBOARD_UID)
    .description('Every rig: online status, alerts, stack pressure and oven temperature.')
    .tags(['cellrig'])
    .time({ from: 'now-6h', to: 'now' })
    .refresh('30s')
    .tooltip(CURSOR_SYNC)
    .readonly()
    .withVariable(rigVariable({ multi: true }))
    .withPanel(onlinePanel(1))
    .withPanel(lastSeenPanel(2))
    .withPanel(alertListPanel(3))
    .withPanel(cellAlertsPanel(4))
    .withPanel(
      sparklines(
        5,
        'Stack pressure',
        `SELECT mean("pressureMPa") FROM "pressure" WHERE ${RIG_FILTER} AND $timeFilter GROUP BY time($__interval), "rig", "channel" fill(none)`,
        UNIT_MPA,
      ),
    )
    .withPanel(
      sparklines(
        6,
        'Oven temperature',
        `SELECT mean("tempC") FROM "oven" WHERE ${RIG_FILTER} AND $timeFilter GROUP BY time($__interval), "rig", "channel" fill(none)`,
        'celsius',
      ),
    )
    .build();
}
