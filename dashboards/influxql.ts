/**
 * The InfluxDB (InfluxQL) query as Grafana stores it in a panel target, an annotation or an alert rule.
 * The foundation SDK has no InfluxDB package, so this is its builder: the same `cog.Builder<Dataquery>`
 * shape as the SDK's own query builders, so panels, annotations and alert rules accept it.
 */
import type * as cog from '@grafana/grafana-foundation-sdk/cog';
import type * as common from '@grafana/grafana-foundation-sdk/common';

/** Provisioned in provisioning/datasources/cellrig.yaml; every query names it by uid, never by name. */
export const INFLUX_DATASOURCE_UID = 'cellrig-influxdb';
export const influxDatasource: common.DataSourceRef = { type: 'influxdb', uid: INFLUX_DATASOURCE_UID };

export type InfluxResultFormat = 'time_series' | 'table';

export interface InfluxQLQuery extends cog.Dataquery {
  refId: string;
  datasource: common.DataSourceRef;
  /** Raw InfluxQL with Grafana's macros ($timeFilter, $__interval) and template variables ($rig). */
  query: string;
  rawQuery: true;
  resultFormat: InfluxResultFormat;
  alias?: string;
  hide?: boolean;
  /** Annotation column mapping (Grafana's InfluxQL annotation editor). */
  fromAnnotations?: boolean;
  textColumn?: string;
  tagsColumn?: string;
  titleColumn?: string;
  /** Alert rules: the step and the point budget Grafana uses when it runs the query. */
  intervalMs?: number;
  maxDataPoints?: number;
}

export class InfluxQLBuilder implements cog.Builder<InfluxQLQuery> {
  private readonly internal: InfluxQLQuery;

  constructor(refId: string, query: string) {
    this.internal = {
      refId,
      datasource: influxDatasource,
      query,
      rawQuery: true,
      resultFormat: 'time_series',
      _implementsDataqueryVariant: () => undefined,
    };
  }

  /** `$tag_channel` style legend names; Grafana fills in the series' tag values. */
  alias(alias: string): this {
    this.internal.alias = alias;
    return this;
  }

  table(): this {
    this.internal.resultFormat = 'table';
    return this;
  }

  annotationColumns(columns: { text: string; tags?: string; title?: string }): this {
    this.internal.fromAnnotations = true;
    this.internal.textColumn = columns.text;
    if (columns.tags) this.internal.tagsColumn = columns.tags;
    if (columns.title) this.internal.titleColumn = columns.title;
    return this;
  }

  alerting(intervalMs: number, maxDataPoints = 43_200): this {
    this.internal.intervalMs = intervalMs;
    this.internal.maxDataPoints = maxDataPoints;
    return this;
  }

  build(): InfluxQLQuery {
    return { ...this.internal };
  }
}

export const influxql = (refId: string, query: string): InfluxQLBuilder => new InfluxQLBuilder(refId, query);
