import { describe, expect, it } from 'vitest';
import { niceTicks, nyquistSvg, plotSvg } from '../../../src/plot/svg';

const circles = (svg: string) =>
  [...svg.matchAll(/<circle cx="([\d.]+)" cy="([\d.]+)" r="3"\/>/g)].map(
    (m) => [Number(m[1]), Number(m[2])] as const,
  );

describe('SVG plots', () => {
  it('draws a Nyquist plot with one Ohm as long across as up, -Im upwards', () => {
    // Three points of a semicircle of radius 1 around (1, 0): (0, 0), (1, -1j), (2, 0).
    const svg = nyquistSvg([{ name: 'arc', reOhm: [0, 1, 2], imOhm: [0, -1, 0], style: 'points' }], 'RC');
    const [a, top, b] = circles(svg) as [
      readonly [number, number],
      readonly [number, number],
      readonly [number, number],
    ];
    const across = (b[0] - a[0]) / 2;
    const up = a[1] - top[1];
    expect(up).toBeGreaterThan(0);
    expect(up).toBeCloseTo(across, 1);
    expect(a[1]).toBeCloseTo(b[1], 6);
  });

  it('puts decade ticks on a log x axis and escapes text', () => {
    const svg = plotSvg([{ name: 'gamma <tau>', x: [1e-2, 1, 1e3], y: [0, 2, 1], style: 'line' }], {
      xLabel: 'tau / s',
      yLabel: 'gamma / Ohm',
      logX: true,
      title: 'DRT & peaks',
    });
    for (const t of ['1e-2', '1e-1', '1e0', '1e1', '1e2', '1e3']) expect(svg).toContain(`>${t}</text>`);
    expect(svg).toContain('gamma &lt;tau&gt;');
    expect(svg).toContain('DRT &amp; peaks');
    expect(svg).toMatch(/<polyline [^>]*points="[\d.]+,[\d.]+ [\d.]+,[\d.]+ [\d.]+,[\d.]+"/);
  });

  it('skips non-finite points instead of writing NaN into the SVG', () => {
    const svg = nyquistSvg([{ name: 'd', reOhm: [1, Number.NaN, 3], imOhm: [-1, -2, -1], style: 'points' }]);
    expect(svg).not.toContain('NaN');
    expect(circles(svg)).toHaveLength(2);
  });

  it('chooses ticks at 1, 2 or 5 times a power of ten', () => {
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0.013, 0.051)).toEqual([0.02, 0.03, 0.04, 0.05]);
    expect(niceTicks(-3e5, 2.4e6)).toEqual([0, 5e5, 1e6, 1.5e6, 2e6]);
  });
});
