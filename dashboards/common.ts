/** Pieces every cellrig dashboard shares: the rig and channel variables, filters, units, the events layer. */
import {
  AnnotationQueryBuilder,
  DashboardCursorSync,
  QueryVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';
import { influxDatasource, influxql } from './influxql';

/** Grafana custom unit: the number followed by " MPa" (Grafana has no MPa unit of its own). */
export const UNIT_MPA = 'suffix: MPa';

/** InfluxQL filters on the template variables; Grafana turns a multi-value into (a|b) inside the regex. */
export const RIG_FILTER = `"rig" =~ /^$rig$/`;
export const CHANNEL_FILTER = `"channel" =~ /^$channel$/`;

/** `$rig`: every rig that has sent stack pressure. */
export function rigVariable(opts: { multi: boolean }): QueryVariableBuilder {
  return pressureTagVariable('rig', 'Rig', 'SHOW TAG VALUES FROM "pressure" WITH KEY = "rig"', opts.multi);
}

/** `$channel`: the cell channels of the selected rig(s). */
export function channelVariable(opts: { multi: boolean }): QueryVariableBuilder {
  return pressureTagVariable(
    'channel',
    'Channel',
    `SHOW TAG VALUES FROM "pressure" WITH KEY = "channel" WHERE ${RIG_FILTER}`,
    opts.multi,
  );
}

/** A variable over a tag's values, read again on dashboard load, sorted A-Z; multi-value with "All" if `multi`. */
function pressureTagVariable(
  name: string,
  label: string,
  query: string,
  multi: boolean,
): QueryVariableBuilder {
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(influxDatasource)
    .query(query)
    .definition(query)
    .refresh(VariableRefresh.OnDashboardLoad)
    .sort(VariableSort.AlphabeticalAsc)
    .multi(multi)
    .includeAll(multi);
}

/** Controller events (segment changes, trips, holdback, faults) as annotations on every time panel. */
export function eventsAnnotation(): AnnotationQueryBuilder {
  return new AnnotationQueryBuilder()
    .name('Rig events')
    .datasource(influxDatasource)
    .enable(true)
    .iconColor('orange')
    .target(
      influxql(
        'Anno',
        `SELECT "message", "code", "kind", "channel" FROM "events" WHERE ${RIG_FILTER} AND $timeFilter`,
      )
        .table()
        .annotationColumns({ text: 'message', tags: 'kind,code,channel', title: 'code' }),
    );
}

export const CURSOR_SYNC = DashboardCursorSync.Crosshair;
