import { expect, inject, it } from 'vitest';

it('the test run has a real InfluxDB answering InfluxQL on a loopback port', async () => {
  const url = inject('influxUrl');
  expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
  expect(url).not.toContain(':8086');
  const res = await fetch(`${url}/query?q=${encodeURIComponent('SHOW DATABASES')}`);
  expect(res.status).toBe(200);
  const body = (await res.json()) as { results: unknown[] };
  expect(body.results).toHaveLength(1);
});
