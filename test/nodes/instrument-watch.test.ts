import { readFileSync } from 'node:fs';
import { copyFile, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import cellHealth from '../../nodes/cell-health/cell-health';
import instrumentWatch from '../../nodes/instrument-watch/instrument-watch';
import { readEclab } from '../support/eclab-data';
import { type FlowNode, helper, lastStatus, startFlow, stopFlow } from '../support/node-red';

let dir: string;
beforeEach(async () => {
  dir = await mkdtemp(join(tmpdir(), 'cellrig-watch-node-'));
});
afterEach(async () => {
  await stopFlow();
  await rm(dir, { recursive: true, force: true });
});

const node = (extra: Partial<FlowNode> = {}): FlowNode => ({
  id: 'w',
  type: 'instrument-watch',
  folder: dir,
  pattern: '*_C01.mpr',
  channel: 'ch1',
  cell: 'cell-07',
  pollS: 0.05,
  settleS: 0.1,
  finishAfterS: 1,
  wires: [['out']],
  ...extra,
});
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
type Out = {
  topic: string;
  file: string;
  payload: { cycle: number; timeS?: number[]; cellNumbered?: boolean };
};

describe('instrument-watch node', () => {
  it("sends the files' cycles in cell-health's form, finished files to the end, ignoring other channels' files", async () => {
    await writeFile(join(dir, 'run_C01.mpr'), readEclab('gcpl.issue_149.mpr'));
    await writeFile(join(dir, 'run_C02.mpr'), readEclab('gcpl.pr_182.1.mpr'));
    await startFlow([instrumentWatch], [node(), { id: 'out', type: 'helper' }]);
    const got: Out[] = [];
    helper.getNode('out').on('input', (m: Out) => got.push(m));
    for (let i = 0; i < 40 && got.length < 4; i++) await sleep(100);
    expect(got.map((m) => [m.topic, m.file, m.payload.cycle])).toEqual(
      [1, 2, 3, 4].map((c) => ['ch1/cycle', 'run_C01.mpr', c]),
    );
    expect(got[0]!.payload.cellNumbered).toBe(true);
    expect(got[0]!.payload.timeS!.length).toBeGreaterThan(10);
    expect(lastStatus(helper.getNode('w'))).toMatchObject({ fill: 'green' });
  });

  it('warns, yellow, naming a file it cannot read and why, and carries on', async () => {
    await writeFile(
      join(dir, 'bad_C01.mpr'),
      Buffer.concat([Buffer.from('BIO-LOGIC MODULAR FILE but not really'), Buffer.alloc(64)]),
    );
    await startFlow([instrumentWatch], [node(), { id: 'out', type: 'helper' }]);
    const w = helper.getNode('w') as unknown as { warn: { args?: unknown[][] } };
    for (let i = 0; i < 30 && !(w.warn.args ?? []).length; i++) await sleep(100);
    expect(String(w.warn.args?.[0]?.[0])).toMatch(/^bad_C01\.mpr, byte 22: file header damaged/);
    expect(lastStatus(w)).toMatchObject({ fill: 'yellow', text: expect.stringMatching(/^bad_C01\.mpr/) });
  });

  it('says so, yellow, while the folder cannot be reached (a share that is down), and goes on trying', async () => {
    await startFlow(
      [instrumentWatch],
      [node({ folder: join(dir, 'not-mounted') }), { id: 'out', type: 'helper' }],
    );
    const w = helper.getNode('w');
    for (let i = 0; i < 30 && lastStatus(w)?.fill !== 'yellow'; i++) await sleep(100);
    expect(lastStatus(w)).toMatchObject({
      fill: 'yellow',
      text: expect.stringMatching(/cannot list the folder/),
    });
  });

  it('goes red naming the field when the config is wrong, and stays inert', async () => {
    await startFlow([instrumentWatch], [node({ folder: '', pollS: 'often' }), { id: 'out', type: 'helper' }]);
    expect(lastStatus(helper.getNode('w'))).toMatchObject({
      fill: 'red',
      text: expect.stringMatching(/folder/),
    });
  });
});

describe('instrument-watch example flow', () => {
  it("follows the shipped example cell's file into cell-health: three cycles, R_CAT from each spectrum", async () => {
    const example = JSON.parse(
      readFileSync(join(__dirname, '..', '..', 'examples', 'instrument-watch.json'), 'utf8'),
    ) as FlowNode[];
    const { x: _x, y: _y, ...watch } = example.find((n) => n.type === 'instrument-watch')!;
    const { x: _hx, y: _hy, ...health } = example.find((n) => n.type === 'cell-health')!;
    await copyFile(
      join(__dirname, '..', '..', 'examples', 'data', 'cell-07_C01.mpt'),
      join(dir, 'cell-07_C01.mpt'),
    );
    await startFlow(
      [instrumentWatch, cellHealth],
      [
        // The example's settings, with the folder and times of a test.
        { ...watch, folder: dir, settleS: 0.1, pollS: 0.05, finishAfterS: 1 },
        { ...health, wires: [['verdicts'], []] },
        { id: 'verdicts', type: 'helper' },
      ],
    );
    const verdicts: { cycle: number; rCatOhm: number | null }[] = [];
    helper
      .getNode('verdicts')
      .on('input', (m: { payload: { cycle: number; rCatOhm: number | null } }) => verdicts.push(m.payload));
    for (let i = 0; i < 100 && verdicts.length < 3; i++) await sleep(100);
    expect(verdicts.map((v) => v.cycle)).toEqual([1, 2, 3]);
    expect(verdicts.every((v) => v.rCatOhm !== null && v.rCatOhm > 30)).toBe(true);
  });
});
