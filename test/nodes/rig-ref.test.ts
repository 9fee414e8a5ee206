import { afterEach, describe, expect, it } from 'vitest';
import { VirtualClock } from '../../src/clock';
import { errors, helper, lastStatus, nodeModules, startFlow, stopFlow } from '../support/node-red';

afterEach(stopFlow);

describe('a node without a usable rig (nodes/shared/rig-ref.ts rigOrReport)', () => {
  it('logs why and goes red, staying inert, when no rig is selected or the rig node is missing', async () => {
    const clock = new VirtualClock();
    await startFlow(
      [nodeModules.stackPressure, nodeModules.telemetryOut],
      [
        {
          id: 'sp1',
          type: 'stack-pressure',
          rig: '',
          channel: 'ch1',
          cell: 'pristine-01',
          coating: 'pristine',
          muxPort: 0,
          samplePeriodMs: 1000,
          wires: [['out']],
        },
        { id: 'to1', type: 'telemetry-out', rig: 'gone', channel: 'ch1', stream: 'pressure' },
        { id: 'out', type: 'helper' },
      ],
      { clock },
    );
    let sent = 0;
    helper.getNode('out').on('input', () => sent++);
    await clock.tick(3000);
    const sp = helper.getNode('sp1');
    expect(errors(sp)).toEqual(['rig: no rig config node selected']);
    expect(lastStatus(sp)).toMatchObject({ fill: 'red', text: 'rig: no rig config node selected' });
    const to = helper.getNode('to1');
    expect(errors(to)).toEqual(['rig: config node gone not found']);
    expect(lastStatus(to)).toMatchObject({ fill: 'red', text: 'rig: config node gone not found' });
    expect(sent).toBe(0);
  });
});
