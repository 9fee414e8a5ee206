/**
 * Grafana-managed alert rules, the contact point and the notification policy, built with the SDK's
 * alerting builders and written as Grafana's alerting file-provisioning format (provisioning/alerting/).
 *
 * Each rule is query A (InfluxQL over the rule's relative time range) -> B reduce -> C threshold, and is
 * multi-dimensional: one alert instance per rig (and channel), named by the GROUP BY tags. Rule queries
 * cannot use dashboard variables. Grafana interpolates environment variables in labels (so no `$` there)
 * but keeps the query models raw, so `$timeFilter` reaches the datasource untouched.
 */
import {
  ContactPointBuilder,
  NotificationPolicyBuilder,
  type Rule,
  RuleBuilder,
  type Query as RuleQuery,
  QueryBuilder as RuleQueryBuilder,
} from '@grafana/grafana-foundation-sdk/alerting';
import { TypeReduceBuilder, TypeThresholdBuilder } from '@grafana/grafana-foundation-sdk/expr';
import { INFLUX_DATASOURCE_UID, influxql } from './influxql';
import { RIG_DASHBOARD_UID } from './rig';

export const ALERT_FOLDER = 'cellrig';
export const ALERT_GROUP = 'cellrig-rigs';
export const CONTACT_POINT = 'cellrig-lab';
const EXPR = { type: '__expr__', uid: '__expr__' };

type ThresholdType = 'gt' | 'lt' | 'gte' | 'lte' | 'outside_range' | 'within_range';

type RuleSpec = {
  uid: string;
  title: string;
  /** InfluxQL; `$timeFilter` becomes the relative range [now - fromS, now - toS]. */
  query: string;
  fromS: number;
  toS?: number;
  reducer: 'last' | 'mean' | 'max' | 'min' | 'sum' | 'count';
  threshold: { type: ThresholdType; params: number[] };
  forDuration: string;
  noData: 'OK' | 'Alerting' | 'NoData';
  severity: 'warning' | 'critical';
  summary: string;
};

const RULES: RuleSpec[] = [
  {
    uid: 'cellrig-rig-silent',
    title: 'Rig silent',
    // A full minute of counts per rig ending a minute ago, so the current, partial minute never counts.
    query: 'SELECT count("seq") FROM "pressure" WHERE $timeFilter GROUP BY time(1m), "rig" fill(0)',
    fromS: 600,
    toS: 60,
    reducer: 'last',
    threshold: { type: 'lt', params: [1] },
    forDuration: '1m',
    noData: 'Alerting',
    severity: 'critical',
    summary: 'Rig {{ $labels.rig }} sent no stack pressure for a full minute.',
  },
  {
    uid: 'cellrig-pressure-out-of-band',
    title: 'Stack pressure outside its band',
    // Error in units of the configured tolerance: outside [-1, 1] means outside the band.
    query:
      'SELECT (mean("pressureMPa") - mean("setpointMPa")) / mean("toleranceMPa") AS "bandError" FROM "pressure" WHERE $timeFilter GROUP BY "rig", "channel"',
    fromS: 300,
    reducer: 'last',
    threshold: { type: 'outside_range', params: [-1, 1] },
    forDuration: '2m',
    noData: 'OK',
    severity: 'warning',
    summary: 'Stack pressure of {{ $labels.rig }}/{{ $labels.channel }} left its tolerance band.',
  },
  {
    uid: 'cellrig-oven-off-profile',
    title: 'Oven off its temperature profile',
    query:
      'SELECT mean("tempC") - mean("setpointC") AS "deviationC" FROM "oven" WHERE $timeFilter GROUP BY "rig", "channel"',
    fromS: 300,
    reducer: 'last',
    threshold: { type: 'outside_range', params: [-5, 5] },
    forDuration: '5m',
    noData: 'OK',
    severity: 'warning',
    summary: 'Oven of {{ $labels.rig }} is more than 5 C off its profile.',
  },
  {
    uid: 'cellrig-rig-alarm',
    title: 'Rig raised an alarm',
    query:
      'SELECT count("code") FROM "events" WHERE "kind" = \'alarm\' AND $timeFilter GROUP BY "rig", "channel"',
    fromS: 600,
    reducer: 'sum',
    threshold: { type: 'gt', params: [0] },
    forDuration: '0s',
    noData: 'OK',
    severity: 'critical',
    summary: 'Rig {{ $labels.rig }} raised an alarm on {{ $labels.channel }} (trip, holdback or fault).',
  },
  {
    uid: 'cellrig-cell-critical',
    title: 'Cell failing',
    query: 'SELECT last("level") FROM "alert" WHERE $timeFilter GROUP BY "rig", "channel"',
    fromS: 3600,
    reducer: 'last',
    threshold: { type: 'gte', params: [2] },
    forDuration: '0s',
    noData: 'OK',
    severity: 'critical',
    summary: 'Cell on {{ $labels.rig }}/{{ $labels.channel }} reports a critical health alert.',
  },
];

function buildRule(spec: RuleSpec): Rule {
  const range = { from: spec.fromS, to: spec.toS ?? 0 };
  return new RuleBuilder(spec.title)
    .uid(spec.uid)
    .orgID(1)
    .ruleGroup(ALERT_GROUP)
    .folderUID(ALERT_FOLDER)
    .condition('C')
    .withQuery(
      new RuleQueryBuilder('A')
        .datasourceUid(INFLUX_DATASOURCE_UID)
        .relativeTimeRange(range)
        .model(influxql('A', spec.query).alerting(1000)),
    )
    .withQuery(
      new RuleQueryBuilder('B')
        .datasourceUid(EXPR.uid)
        .relativeTimeRange(range)
        .model(
          new TypeReduceBuilder()
            .refId('B')
            .datasource(EXPR)
            .expression('A')
            .reducer(spec.reducer)
            .settings({ mode: 'dropNN' }),
        ),
    )
    .withQuery(
      new RuleQueryBuilder('C')
        .datasourceUid(EXPR.uid)
        .relativeTimeRange(range)
        .model(
          new TypeThresholdBuilder()
            .refId('C')
            .datasource(EXPR)
            .expression('B')
            .conditions([{ evaluator: { type: spec.threshold.type, params: spec.threshold.params } }]),
        ),
    )
    .noDataState(spec.noData)
    .execErrState('Error')
    .forDuration(spec.forDuration)
    .labels({ severity: spec.severity, system: 'cellrig' })
    .annotations({ summary: spec.summary, __dashboardUid__: RIG_DASHBOARD_UID })
    .build();
}

export function alertRules(): Rule[] {
  return RULES.map(buildRule);
}

/** One rule in Grafana's file-provisioning shape (the SDK's types are the HTTP API's). */
function provisionedRule(rule: Rule) {
  return {
    uid: rule.uid,
    title: rule.title,
    condition: rule.condition,
    data: rule.data.map((q: RuleQuery) => ({
      refId: q.refId,
      relativeTimeRange: q.relativeTimeRange,
      datasourceUid: q.datasourceUid,
      model: q.model,
    })),
    noDataState: rule.noDataState,
    execErrState: rule.execErrState,
    for: rule.for,
    labels: rule.labels,
    annotations: rule.annotations,
    isPaused: false,
  };
}

/** provisioning/alerting/rules.yaml */
export function alertRulesFile() {
  return {
    apiVersion: 1,
    groups: [
      {
        orgId: 1,
        name: ALERT_GROUP,
        folder: ALERT_FOLDER,
        interval: '1m',
        rules: alertRules().map(provisionedRule),
      },
    ],
  };
}

/**
 * provisioning/alerting/contact-points.yaml: e-mail to the lab (Grafana needs its GF_SMTP_* settings),
 * addresses from CELLRIG_ALERT_EMAIL, which Grafana interpolates when it provisions the file.
 */
export function contactPointsFile() {
  const email = new ContactPointBuilder()
    .uid('cellrig-lab-email')
    .name(CONTACT_POINT)
    .type('email')
    .settings({ addresses: '$CELLRIG_ALERT_EMAIL', singleEmail: true })
    .disableResolveMessage(false)
    .build();
  const policy = new NotificationPolicyBuilder()
    .receiver(CONTACT_POINT)
    .groupBy(['alertname', 'rig'])
    .groupWait('30s')
    .groupInterval('5m')
    .repeatInterval('4h')
    .build();
  return {
    apiVersion: 1,
    contactPoints: [
      {
        orgId: 1,
        name: email.name,
        receivers: [
          {
            uid: email.uid,
            type: email.type,
            settings: email.settings,
            disableResolveMessage: email.disableResolveMessage,
          },
        ],
      },
    ],
    policies: [{ orgId: 1, ...policy }],
  };
}
