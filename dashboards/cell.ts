/**
 * Cell dashboard skeleton: one cell channel's cycling trace, per-cycle capacity, retention and
 * coulombic efficiency, the fitted resistances per cycle, recent spectra as a Nyquist plot, and the
 * cell's alerts as annotations. The cell-health work fills in DRT and richer panels on these streams.
 */

import * as common from '@grafana/grafana-foundation-sdk/common';
import {
  AnnotationQueryBuilder,
  type Dashboard,
  DashboardBuilder,
  RowBuilder,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { PanelBuilder as TimeseriesPanel } from '@grafana/grafana-foundation-sdk/timeseries';
import { PanelBuilder as XYChartPanel } from '@grafana/grafana-foundation-sdk/xychart';
import { CHANNEL_FILTER, CURSOR_SYNC, channelVariable, RIG_FILTER, rigVariable } from './common';
import { influxDatasource, influxql } from './influxql';

export const CELL_DASHBOARD_UID = 'cellrig-cell';

const CELL_WHERE = `${RIG_FILTER} AND ${CHANNEL_FILTER} AND $timeFilter`;

function perCycle(id: number, title: string, query: string, unit: string): TimeseriesPanel {
  return new TimeseriesPanel()
    .id(id)
    .title(title)
    .datasource(influxDatasource)
    .withTarget(influxql('A', query).alias('$col'))
    .unit(unit)
    .showPoints(common.VisibilityMode.Always)
    .pointSize(6)
    .height(8)
    .span(12);
}

function voltageCurrentPanel(id: number): TimeseriesPanel {
  return new TimeseriesPanel()
    .id(id)
    .title('Voltage and current')
    .datasource(influxDatasource)
    .withTarget(
      influxql(
        'A',
        `SELECT mean("voltageV") AS "voltage", mean("currentA") AS "current" FROM "cycling" WHERE ${CELL_WHERE} GROUP BY time($__interval) fill(none)`,
      ).alias('$col'),
    )
    .unit('volt')
    .overrideByName('current', [
      { id: 'unit', value: 'amp' },
      { id: 'custom.axisPlacement', value: 'right' },
    ])
    .height(9)
    .span(24);
}

function nyquistPanel(id: number): XYChartPanel {
  return new XYChartPanel()
    .id(id)
    .title('Nyquist plot (latest spectrum points)')
    .description('Re(Z) against -Im(Z) of the most recent spectrum points in the time range.')
    .datasource(influxDatasource)
    .withTarget(
      influxql(
        'A',
        `SELECT "reOhm", -1 * "imOhm" AS "minusImOhm" FROM "spectrum" WHERE ${CELL_WHERE} ORDER BY time DESC LIMIT 200`,
      ).table(),
    )
    .unit('ohm')
    .height(9)
    .span(12);
}

function alertsAnnotation(): AnnotationQueryBuilder {
  return new AnnotationQueryBuilder()
    .name('Cell alerts')
    .datasource(influxDatasource)
    .enable(true)
    .iconColor('red')
    .target(
      influxql(
        'Anno',
        `SELECT "message", "kind", "level" FROM "alert" WHERE ${RIG_FILTER} AND ${CHANNEL_FILTER} AND $timeFilter`,
      )
        .table()
        .annotationColumns({ text: 'message', tags: 'kind', title: 'kind' }),
    );
}

export function cellDashboard(): Dashboard {
  return new DashboardBuilder('cellrig · Cell')
    .uid(CELL_DASHBOARD_UID)
    .description('One cell channel: cycling, capacity fade, resistances and impedance.')
    .tags(['cellrig'])
    .time({ from: 'now-7d', to: 'now' })
    .refresh('1m')
    .tooltip(CURSOR_SYNC)
    .readonly()
    .withVariable(rigVariable({ multi: false }))
    .withVariable(channelVariable({ multi: false }))
    .annotation(alertsAnnotation())
    .withRow(new RowBuilder('Cycling').id(1))
    .withPanel(voltageCurrentPanel(2))
    .withPanel(
      perCycle(
        3,
        'Capacity per cycle',
        `SELECT "chargeMAh" AS "charge", "dischargeMAh" AS "discharge" FROM "cycle" WHERE ${CELL_WHERE}`,
        'suffix: mAh',
      ),
    )
    .withPanel(
      perCycle(
        4,
        'Retention and coulombic efficiency',
        `SELECT "retention", "coulombicEfficiency" AS "coulombic efficiency" FROM "cycle" WHERE ${CELL_WHERE}`,
        'percentunit',
      ),
    )
    .withRow(new RowBuilder('Impedance').id(5))
    .withPanel(
      perCycle(
        6,
        'R_SE and R_CAT per cycle',
        `SELECT "rSeOhm" AS "R_SE", "rCatOhm" AS "R_CAT" FROM "eis-fit" WHERE ${CELL_WHERE}`,
        'ohm',
      ),
    )
    .withPanel(nyquistPanel(7))
    .build();
}
