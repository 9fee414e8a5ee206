/**
 * The dashboard check: every dashboard, variable, annotation and alert rule built in dashboards/ is
 * validated (uids, panel ids, datasource uids that are provisioned, variables that resolve, committed
 * output up to date), then every query runs, Grafana's macros expanded, against the real InfluxDB after
 * a simulated run: a non-200, an error in `results` or an empty series fails.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Dashboard, Panel, RowPanel, VariableModel } from '@grafana/grafana-foundation-sdk/dashboard';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { alertRulesFile, contactPointsFile } from '../../dashboards/alerts';
import { dashboards, generatedFiles } from '../../dashboards/catalog';
import { INFLUX_DATASOURCE_UID } from '../../dashboards/influxql';
import { InfluxHttp, type InfluxQueryResult } from '../../services/influx-http';
import { type Mosquitto, startMosquitto } from '../support/services';
import {
  expandQuery,
  GRAFANA_MACROS,
  parseRelative,
  referencedVariables,
  type TimeRange,
  type VariableValue,
} from './dashboards/macros';
import { deliverSimulatedRun } from './dashboards/sim-run';

const DASHBOARDS_DIR = join(__dirname, '..', '..', 'dashboards');
const EXPRESSION_UID = '__expr__';

type Target = { refId?: string; query?: string; datasource?: { uid?: string } };
type AnyPanel = (Panel | RowPanel) & { targets?: Target[] };
type QueryCase = {
  name: string;
  query: string;
  dashboard?: Dashboard;
  /** Panels repeated over a variable run once per value. */
  repeat?: string;
  /** Alert rules: [now - fromS, now - toS]. */
  alertRange?: { from: number; to: number };
};

function flatPanels(d: Dashboard): AnyPanel[] {
  const out: AnyPanel[] = [];
  for (const p of (d.panels ?? []) as AnyPanel[]) {
    out.push(p);
    if (p.type === 'row') out.push(...(((p as RowPanel).panels ?? []) as AnyPanel[]));
  }
  return out;
}

const variablesOf = (d: Dashboard): VariableModel[] => d.templating?.list ?? [];

function annotationTargets(d: Dashboard): Target[] {
  return (d.annotations?.list ?? [])
    .map((a) => a.target as Target | undefined)
    .filter((t) => t !== undefined);
}

const allDashboards = dashboards();
const rules = alertRulesFile().groups.flatMap((g) => g.rules);

function queryCases(): QueryCase[] {
  const cases: QueryCase[] = [];
  for (const d of allDashboards) {
    for (const v of variablesOf(d)) {
      cases.push({ name: `${d.uid} variable $${v.name}`, query: String(v.query), dashboard: d });
    }
    for (const p of flatPanels(d)) {
      for (const t of p.targets ?? []) {
        if (t.query === undefined) continue;
        const repeat = 'repeat' in p ? p.repeat : undefined;
        cases.push({
          name: `${d.uid} panel ${p.id} "${p.title}" ${t.refId}`,
          query: t.query,
          dashboard: d,
          repeat,
        });
      }
    }
    for (const t of annotationTargets(d)) {
      cases.push({ name: `${d.uid} annotation ${t.refId}`, query: t.query ?? '', dashboard: d });
    }
  }
  for (const r of rules) {
    for (const q of r.data) {
      if (q.datasourceUid === EXPRESSION_UID) continue;
      const model = q.model as unknown as Target;
      cases.push({
        name: `alert ${r.uid} ${q.refId}`,
        query: model.query ?? '',
        alertRange: q.relativeTimeRange as { from: number; to: number },
      });
    }
  }
  return cases;
}

const cases = queryCases();

function provisionedDatasourceUids(): Set<string> {
  const dir = join(DASHBOARDS_DIR, 'provisioning', 'datasources');
  const uids = new Set<string>();
  for (const f of readdirSync(dir).filter((n) => /\.ya?ml$/.test(n))) {
    const doc = parse(readFileSync(join(dir, f), 'utf8')) as { datasources?: { uid?: string }[] };
    for (const ds of doc.datasources ?? []) if (ds.uid) uids.add(ds.uid);
  }
  return uids;
}

/** Every `datasource: {uid}` anywhere inside an object. */
function datasourceUids(value: unknown, found: string[] = []): string[] {
  if (Array.isArray(value)) for (const v of value) datasourceUids(v, found);
  else if (value && typeof value === 'object') {
    for (const [k, v] of Object.entries(value)) {
      if (k === 'datasource' && v && typeof v === 'object' && 'uid' in v) found.push(String(v.uid));
      else if (k === 'datasourceUid') found.push(String(v));
      datasourceUids(v, found);
    }
  }
  return found;
}

describe('dashboards as code', () => {
  it('the committed generated files are exactly what the builders produce', () => {
    const stale: string[] = [];
    for (const [rel, content] of generatedFiles()) {
      let onDisk = '';
      try {
        onDisk = readFileSync(join(DASHBOARDS_DIR, rel), 'utf8');
      } catch {
        onDisk = '(missing)';
      }
      if (onDisk !== content) stale.push(rel);
    }
    expect(stale, 'regenerate with: npm run build && node dist/dashboards/build.js').toEqual([]);
    const generated = readdirSync(join(DASHBOARDS_DIR, 'generated')).map((f) => `generated/${f}`);
    expect(generated.sort()).toEqual(
      [...generatedFiles().keys()].filter((k) => k.startsWith('generated/')).sort(),
    );
  });

  it('every dashboard has its own uid, a title, and panels with unique ids and a grid position', () => {
    expect(allDashboards.map((d) => d.uid)).toEqual(['cellrig-fleet', 'cellrig-rig', 'cellrig-cell']);
    for (const d of allDashboards) {
      expect(d.uid).toMatch(/^[a-z0-9-]{1,40}$/);
      expect(d.title).toBeTruthy();
      const panels = flatPanels(d);
      expect(panels.length).toBeGreaterThan(0);
      const ids = panels.map((p) => p.id);
      for (const id of ids) expect(typeof id === 'number' && id > 0, `${d.uid}: panel id ${id}`).toBe(true);
      expect(new Set(ids).size, `${d.uid}: duplicate panel ids ${ids}`).toBe(ids.length);
      for (const p of panels) expect(p.gridPos, `${d.uid} panel ${p.id}`).toBeDefined();
    }
  });

  it('has the foundation stack-pressure panel and the rig and channel variables', () => {
    const rig = allDashboards.find((d) => d.uid === 'cellrig-rig') as Dashboard;
    const titles = flatPanels(rig).map((p) => p.title);
    expect(titles).toContain('Stack pressure');
    expect(titles).toContain('Stack pressure against setpoint and band');
    expect(titles).toContain('Oven temperature against profile');
    expect(titles).toContain('Heater output');
    expect(titles).toContain('Cell-channel relays');
    expect(rig.annotations?.list?.map((a) => a.name)).toContain('Rig events');
    for (const d of allDashboards)
      expect(variablesOf(d).map((v) => v.name)).toEqual(
        d.uid === 'cellrig-fleet' ? ['rig'] : ['rig', 'channel'],
      );
  });

  it('names every datasource by a uid that provisioning creates', () => {
    const provisioned = provisionedDatasourceUids();
    expect([...provisioned]).toEqual([INFLUX_DATASOURCE_UID]);
    const used = new Set([...datasourceUids(allDashboards), ...datasourceUids(alertRulesFile())]);
    expect(used.has(INFLUX_DATASOURCE_UID)).toBe(true);
    for (const uid of used)
      expect(provisioned.has(uid) || uid === EXPRESSION_UID, `datasource uid ${uid}`).toBe(true);
    // Every panel with queries names its datasource; an alert list runs none.
    for (const d of allDashboards)
      for (const p of flatPanels(d))
        if (p.type !== 'row' && p.type !== 'alertlist')
          expect('datasource' in p && p.datasource?.uid).toBe(INFLUX_DATASOURCE_UID);
  });

  it('uses only template variables that exist, defined before the variables that use them', () => {
    const macros = new Set<string>(GRAFANA_MACROS);
    for (const d of allDashboards) {
      const defined = variablesOf(d).map((v) => v.name);
      variablesOf(d).forEach((v, i) => {
        for (const ref of referencedVariables(String(v.query)))
          expect(defined.slice(0, i), `${d.uid} $${v.name} uses $${ref}`).toContain(ref);
      });
      for (const p of flatPanels(d)) {
        const repeat = 'repeat' in p ? p.repeat : undefined;
        if (repeat) {
          const v = variablesOf(d).find((x) => x.name === repeat);
          expect(v?.multi || v?.includeAll, `${d.uid} panel ${p.id} repeats over $${repeat}`).toBe(true);
        }
      }
    }
    for (const c of cases) {
      const defined = c.dashboard ? variablesOf(c.dashboard).map((v) => v.name) : [];
      for (const ref of referencedVariables(c.query))
        expect(macros.has(ref) || defined.includes(ref), `${c.name}: $${ref}`).toBe(true);
      if (c.alertRange)
        expect(
          referencedVariables(c.query).every((r) => macros.has(r)),
          c.name,
        ).toBe(true);
    }
  });

  it('wires every alert rule: conditions and expressions name existing queries, contact point exists', () => {
    const uids = rules.map((r) => r.uid);
    expect(new Set(uids).size).toBe(uids.length);
    for (const r of rules) {
      const refIds = r.data.map((q) => q.refId);
      expect(refIds, r.uid).toContain(r.condition);
      for (const q of r.data) {
        const expression = (q.model as { expression?: string } | undefined)?.expression;
        if (q.datasourceUid === EXPRESSION_UID) expect(refIds, `${r.uid} ${q.refId}`).toContain(expression);
        expect(q.relativeTimeRange?.from ?? 0).toBeGreaterThan(q.relativeTimeRange?.to ?? 0);
      }
      // Grafana interpolates environment variables in labels: a `$` there would be eaten.
      for (const v of Object.values(r.labels ?? {})) expect(v).not.toContain('$');
      const dash = r.annotations?.__dashboardUid__;
      if (dash) expect(allDashboards.map((d) => d.uid)).toContain(dash);
    }
    const cp = contactPointsFile();
    const names = cp.contactPoints.map((c) => c.name);
    for (const p of cp.policies) expect(names).toContain(p.receiver);
  });
});

function assertData(res: InfluxQueryResult, what: string): void {
  expect(res.results.length, what).toBeGreaterThan(0);
  for (const r of res.results) {
    expect(r.error, `${what}: InfluxDB error`).toBeUndefined();
    expect(r.series?.length ?? 0, `${what}: no series`).toBeGreaterThan(0);
    for (const s of r.series ?? [])
      expect(s.values.length, `${what}: empty series ${s.name}`).toBeGreaterThan(0);
  }
}

function tagValues(res: InfluxQueryResult): string[] {
  const out: string[] = [];
  for (const s of res.results[0]?.series ?? []) {
    const col = s.columns.indexOf('value');
    for (const row of s.values) out.push(String(row[col]));
  }
  return [...new Set(out)].sort();
}

describe('every dashboard, variable and alert query against InfluxDB after a simulated run', () => {
  const database = `dashboards_${process.pid}_${Date.now()}`;
  const influx = new InfluxHttp({ url: inject('influxUrl'), db: database });
  const resolved = new Map<string, Record<string, VariableValue>>();
  const rangeOf = (d: Dashboard): TimeRange => {
    const now = Date.now();
    return {
      fromMs: parseRelative(d.time?.from ?? 'now-6h', now),
      toMs: parseRelative(d.time?.to ?? 'now', now),
    };
  };

  let broker: Mosquitto | undefined;

  beforeAll(async () => {
    // Its own broker: the shared one carries other tests' rigs, which would show up in $rig.
    broker = await startMosquitto();
    const run = await deliverSimulatedRun(
      { mqttUrl: broker.url, influxUrl: inject('influxUrl'), database: database },
      { rigs: ['rig01', 'rig02'], channels: ['ch1', 'ch2', 'ch3'], durationS: 600, endMs: Date.now() },
    );
    expect(run.byStream.pressure).toBe(2 * 3 * 600);
    expect(run.deadLettered).toBe(0);
    expect(run.written).toBe(run.published);
    // Variables resolve in order, each with the values the ones before it selected.
    for (const d of allDashboards) {
      const values: Record<string, VariableValue> = {};
      for (const v of variablesOf(d)) {
        const found = tagValues(await influx.query(expandQuery(String(v.query), rangeOf(d), values)));
        const multi = Boolean(v.multi || v.includeAll);
        values[v.name] = { values: multi ? found : found.slice(0, 1), multi };
      }
      resolved.set(d.uid as string, values);
    }
  }, 120_000);

  afterAll(async () => {
    await broker?.dispose();
  });

  it('resolves $rig to the simulated rigs and $channel to their channels', () => {
    expect(resolved.get('cellrig-fleet')?.rig?.values).toEqual(['rig01', 'rig02']);
    expect(resolved.get('cellrig-rig')?.rig?.values).toEqual(['rig01']);
    expect(resolved.get('cellrig-rig')?.channel?.values).toEqual(['ch1', 'ch2', 'ch3']);
    expect(resolved.get('cellrig-cell')?.channel?.values).toEqual(['ch1']);
  });

  it('runs a few dozen queries in all', () => {
    expect(cases.filter((c) => c.alertRange).length).toBe(5);
    expect(cases.length).toBeGreaterThan(25);
  });

  it.each(cases.map((c) => [c.name, c] as const))('%s returns data', async (_name, c) => {
    if (c.alertRange) {
      const now = Date.now();
      const range = { fromMs: now - c.alertRange.from * 1000, toMs: now - c.alertRange.to * 1000 };
      assertData(await influx.query(expandQuery(c.query, range, {}, 1000)), c.name);
      return;
    }
    const d = c.dashboard as Dashboard;
    const vars = resolved.get(d.uid as string) ?? {};
    const range = rangeOf(d);
    const repeat = c.repeat ? (vars[c.repeat]?.values ?? []) : [undefined];
    expect(repeat.length).toBeGreaterThan(0);
    for (const value of repeat) {
      const v = value && c.repeat ? { ...vars, [c.repeat]: { values: [value], multi: false } } : vars;
      assertData(
        await influx.query(expandQuery(c.query, range, v)),
        `${c.name}${value ? ` (${value})` : ''}`,
      );
    }
  });
});
