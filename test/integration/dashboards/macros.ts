/**
 * What Grafana does to an InfluxQL query before it reaches InfluxDB: time macros ($timeFilter,
 * $__interval, $__from ...) and template variables ($rig, ${channel}, ${rig:regex}), formatted the way
 * the InfluxDB datasource formats them inside a regex (one value as is, several as (a|b), escaped).
 */

export type TimeRange = { fromMs: number; toMs: number };

export type VariableValue = { values: string[]; multi: boolean };

export const GRAFANA_MACROS = [
  'timeFilter',
  '__timeFilter',
  '__interval',
  '__interval_ms',
  'interval',
  '__from',
  '__to',
] as const;

const UNITS: [string, number][] = [
  ['w', 604_800_000],
  ['d', 86_400_000],
  ['h', 3_600_000],
  ['m', 60_000],
  ['s', 1000],
];

/** `now-6h` style bounds of a dashboard's time picker. */
export function parseRelative(expr: string, nowMs: number): number {
  if (expr === 'now') return nowMs;
  const m = /^now-(\d+)([smhdw])$/.exec(expr);
  if (!m) throw new Error(`unsupported time expression ${expr}`);
  const unit = UNITS.find(([u]) => u === m[2]);
  return nowMs - Number(m[1]) * (unit?.[1] ?? 0);
}

/** Grafana's interval: range / max data points, rounded to a readable step, never under the minimum. */
export function grafanaInterval(range: TimeRange, maxDataPoints = 1000, minMs = 1000): number {
  const raw = Math.max(minMs, (range.toMs - range.fromMs) / maxDataPoints);
  const steps = [
    1000, 2000, 5000, 10_000, 15_000, 20_000, 30_000, 60_000, 120_000, 300_000, 600_000, 900_000, 1_800_000,
    3_600_000, 7_200_000, 10_800_000, 21_600_000, 43_200_000, 86_400_000,
  ];
  return steps.find((s) => s >= raw) ?? 86_400_000;
}

function intervalText(ms: number): string {
  for (const [u, size] of UNITS) if (ms % size === 0) return `${ms / size}${u}`;
  return `${ms}ms`;
}

const regexEscape = (s: string) => s.replace(/[\\^$*+?.()|[\]{}/]/g, (c) => `\\${c}`);

function formatVariable(v: VariableValue, format: string | undefined): string {
  if (format === 'raw') return v.values.join(',');
  if (v.values.length === 1 && !v.multi && format !== 'regex') return v.values[0] as string;
  if (v.values.length === 1) return regexEscape(v.values[0] as string);
  return `(${v.values.map(regexEscape).join('|')})`;
}

/** Names of the `$var` / `${var}` / `${var:format}` references in a query (macros included). */
export function referencedVariables(query: string): string[] {
  const names = new Set<string>();
  for (const m of query.matchAll(/\$\{(\w+)(?::\w+)?\}|\$(\w+)/g)) names.add((m[1] ?? m[2]) as string);
  return [...names];
}

export function expandQuery(
  query: string,
  range: TimeRange,
  variables: Record<string, VariableValue>,
  intervalMs = grafanaInterval(range),
): string {
  const timeFilter = `time >= ${Math.floor(range.fromMs)}ms and time <= ${Math.ceil(range.toMs)}ms`;
  const macros: Record<string, string> = {
    timeFilter,
    __timeFilter: timeFilter,
    __interval_ms: String(intervalMs),
    __interval: intervalText(intervalMs),
    interval: intervalText(intervalMs),
    __from: String(Math.floor(range.fromMs)),
    __to: String(Math.ceil(range.toMs)),
  };
  return query.replace(/\$\{(\w+)(?::(\w+))?\}|\$(\w+)/g, (_whole, braced, format, bare) => {
    const name = (braced ?? bare) as string;
    if (name in macros) return macros[name] as string;
    const v = variables[name];
    if (!v) throw new Error(`query uses $${name}, which is neither a Grafana macro nor a template variable`);
    if (v.values.length === 0) throw new Error(`template variable $${name} has no value`);
    return formatVariable(v, format);
  });
}
