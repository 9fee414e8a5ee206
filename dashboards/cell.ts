/**
 * Cell dashboard: one cell channel's cycling trace, per-cycle capacity, retention and coulombic
 * efficiency, the fitted resistances per cycle (R_CAT only where determined, with its uncertainty, and
 * whether it was), R_CAT's growth with its interval, recent spectra as a Nyquist plot, the detectors'
 * evidence with the thresholds scaled to this cell's noise (CE trend, voltage scatter, rest slope), and
 * the cell's alerts as annotations.
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
        'R_SE and R_CAT per cycle (determined only, +-2 standard errors)',
        `SELECT "rSeOhm" AS "R_SE", "rCatOhm" AS "R_CAT", "rCatOhm" - 2 * "rCatStderrOhm" AS "R_CAT - 2 se", "rCatOhm" + 2 * "rCatStderrOhm" AS "R_CAT + 2 se" FROM "eis-fit" WHERE ${CELL_WHERE}`,
        'ohm',
      ).description(
        'A cycle whose R_CAT the spectrum cannot determine (spoiled sweep, parameter off the data scale, relative standard error over 1, correlation over 0.99) has no R_CAT point; the panel beside counts them.',
      ),
    )
    .withPanel(nyquistPanel(7))
    .withPanel(
      perCycle(
        8,
        'R_CAT determined (1) or not (0)',
        `SELECT "rCatDetermined" AS "determined" FROM "eis-fit" WHERE ${CELL_WHERE}`,
        'none',
      ).description('Why a cycle is not determined is in the cell-health node output and `cellrig health`.'),
    )
    .withPanel(
      perCycle(
        9,
        'R_CAT growth per cycle (25 C, 150 MPa; 95 % interval): growing when the lower end passes 0.25 %',
        `SELECT "rCatGrowthPerCycle" AS "growth", "rCatGrowthLower" AS "lower", "rCatGrowthUpper" AS "upper" FROM "health" WHERE ${CELL_WHERE}`,
        'percentunit',
      ),
    )
    .withRow(new RowBuilder('Evidence, scaled to this cell').id(10))
    .withPanel(
      perCycle(
        11,
        'Coulombic-efficiency trend: CUSUM against its threshold (5 x the CE scatter)',
        `SELECT "ceCusum" AS "CUSUM", "ceThreshold" AS "threshold", "ceSigma" AS "CE scatter" FROM "health" WHERE ${CELL_WHERE}`,
        'percentunit',
      ).description('A CUSUM over its threshold is a persistent CE drop: the soft-short detector flags it.'),
    )
    .withPanel(
      perCycle(
        12,
        'Coulombic efficiency against its clean baseline',
        `SELECT "ceBaseline" AS "baseline" FROM "health" WHERE ${CELL_WHERE}`,
        'percentunit',
      ),
    )
    .withPanel(
      perCycle(
        13,
        'Voltage scatter and the dip threshold scaled to it',
        `SELECT "voltageNoiseV" AS "voltage scatter", "chargeDipV" AS "largest dip", "chargeDipThresholdV" AS "dip threshold" FROM "health" WHERE ${CELL_WHERE}`,
        'volt',
      ),
    )
    .withPanel(
      perCycle(
        14,
        'Late-rest slope after charge and its noise-scaled threshold',
        `SELECT "restSlopeVPerH" AS "slope", "restSlopeThresholdVPerH" AS "threshold" FROM "health" WHERE ${CELL_WHERE}`,
        'suffix: V/h',
      ),
    )
    .build();
}
