import { describe, expect, it } from 'vitest';
import { confirmationFor } from '../../../src/panel/command-words';
import { ConfirmGate } from '../../../src/panel/confirm-gate';

describe('confirmation words', () => {
  it('says what each command does to the rig', () => {
    expect(confirmationFor('oven', { command: 'start', profile: 'tfaa-drying' }, 'the drying oven')).toEqual({
      question:
        "Start the profile 'TFAA drying' on the drying oven? The heater switches on and follows the profile.",
      confirmText: 'Start',
    });
    expect(confirmationFor('oven', { command: 'start' }, 'the drying oven')).toMatchObject({
      question: expect.stringContaining('its configured profile'),
    });
    expect(confirmationFor('press', { command: 'stop' }, 'the ch1 press')).toEqual({
      question: 'Stop the ch1 press where it is? Nothing is released.',
      confirmText: 'Stop',
    });
    expect(
      confirmationFor('relays', { command: 'connect', channel: 'ch2', to: 'analyser' }, 'the relays'),
    ).toEqual({
      question: 'Connect ch2 to the impedance analyser? Its other relay opens first (break before make).',
      confirmText: 'Connect',
    });
    expect(confirmationFor('press', { command: 'calibrate' }, 'the ch1 press')).toEqual({
      question: "Send 'calibrate' to the ch1 press?",
      confirmText: 'Send',
    });
    expect(confirmationFor('oven', 'start', 'x')).toEqual({
      problem: expect.stringMatching(/not a command/),
    });
  });
});

describe('confirm gate', () => {
  it('sends exactly the command that was asked about, once, on a timely confirmation of its question', () => {
    const gate = new ConfirmGate(30_000, 'g');
    const cmd = { command: 'start', profile: 'tfaa-drying' };
    const id = gate.request(cmd, 'oven', 1000);
    cmd.profile = 'step-series-50-200'; // the browser's copy cannot change what is held
    expect(gate.answer('g-other', 'confirm', 2000)).toEqual({ sent: false, why: 'not waiting' });
    expect(gate.answer(id, 'confirm', 2000)).toEqual({
      sent: true,
      command: { command: 'start', profile: 'tfaa-drying' },
      topic: 'oven',
    });
    expect(gate.answer(id, 'confirm', 2001)).toEqual({ sent: false, why: 'not waiting' });
  });

  it('sends nothing on a cancel, after the timeout, or for a question a newer one replaced', () => {
    const gate = new ConfirmGate(30_000, 'g');
    expect(gate.answer(gate.request({ command: 'abort' }, '', 0), 'dismiss', 1)).toEqual({
      sent: false,
      why: 'dismissed',
    });
    expect(gate.answer(gate.request({ command: 'abort' }, '', 0), 'confirm', 30_001)).toEqual({
      sent: false,
      why: 'expired',
    });
    const old = gate.request({ command: 'abort' }, '', 0);
    const fresh = gate.request({ command: 'pause' }, '', 1);
    expect(gate.answer(old, 'confirm', 2)).toEqual({ sent: false, why: 'not waiting' });
    expect(gate.answer(fresh, 'confirm', 3)).toMatchObject({ sent: true, command: { command: 'pause' } });
  });
});
