/**
 * What the panel asks before it sends a command: the command in a plain question, with what it will do
 * to the rig, and the word for the confirming button. The command itself is checked by the node it goes
 * to, as any message is; these words only describe it.
 */
import { READY_PROFILES } from '../control/ready-profiles';

export type Device = 'oven' | 'press' | 'relays';
export type Confirmation = { question: string; confirmText: string };

type Command = Record<string, unknown> & { command: string };

const analyser = (to: unknown) => (to === 'analyser' ? 'the impedance analyser' : 'its cycler');

function profileName(profile: unknown): string | undefined {
  if (typeof profile === 'string') return READY_PROFILES[profile]?.name ?? profile;
  if (profile && typeof profile === 'object' && typeof (profile as { name?: unknown }).name === 'string')
    return (profile as { name: string }).name;
  return undefined;
}

function oven(c: Command, label: string): Confirmation | undefined {
  switch (c.command) {
    case 'start': {
      const name = profileName(c.profile);
      return {
        question: `Start ${name ? `the profile '${name}'` : 'its configured profile'} on ${label}? The heater switches on and follows the profile.`,
        confirmText: 'Start',
      };
    }
    case 'pause':
      return {
        question: `Pause the run on ${label}? The setpoint is held and the soak timer stops.`,
        confirmText: 'Pause',
      };
    case 'resume':
      return { question: `Resume the run on ${label}?`, confirmText: 'Resume' };
    case 'skip':
      return { question: `Skip the rest of the current segment on ${label}?`, confirmText: 'Skip' };
    case 'abort':
      return {
        question: `Abort the run on ${label}? The heater switches off and the run ends.`,
        confirmText: 'Abort',
      };
    case 'reset':
      return {
        question: `Clear the latched fault of ${label}? Only once its cause is fixed.`,
        confirmText: 'Reset',
      };
  }
  return undefined;
}

function press(c: Command, label: string): Confirmation | undefined {
  switch (c.command) {
    case 'start': {
      const target = typeof c.targetMPa === 'number' ? `${c.targetMPa} MPa` : 'its set pressure';
      return {
        question: `Start holding ${label} at ${target}? The press moves to reach it.`,
        confirmText: 'Hold',
      };
    }
    case 'stop':
      return { question: `Stop ${label} where it is? Nothing is released.`, confirmText: 'Stop' };
    case 'reset':
      return {
        question: `Reset the alarms of ${label}? It stays stopped until started.`,
        confirmText: 'Reset',
      };
  }
  return undefined;
}

function relays(c: Command): Confirmation | undefined {
  const ch = typeof c.channel === 'string' ? c.channel : 'the channel';
  switch (c.command) {
    case 'connect':
      return {
        question: `Connect ${ch} to ${analyser(c.to)}? Its other relay opens first (break before make).`,
        confirmText: 'Connect',
      };
    case 'disconnect':
      return { question: `Disconnect ${ch}? Both of its relays open.`, confirmText: 'Disconnect' };
    case 'isolate':
      return { question: `Isolate ${ch}? It stays disconnected until restored.`, confirmText: 'Isolate' };
    case 'restore':
      return {
        question: `Restore ${ch} after its isolation? Its relays stay open until it is connected.`,
        confirmText: 'Restore',
      };
  }
  return undefined;
}

/** The question for `payload`, or why there is nothing to ask (it is not a command). */
export function confirmationFor(
  device: Device,
  payload: unknown,
  label: string,
): Confirmation | { problem: string } {
  if (
    !payload ||
    typeof payload !== 'object' ||
    typeof (payload as { command?: unknown }).command !== 'string'
  )
    return { problem: 'not a command: msg.payload needs a "command"' };
  const c = payload as Command;
  const words = device === 'oven' ? oven(c, label) : device === 'press' ? press(c, label) : relays(c);
  // A command these words do not know still goes to the node, which decides; the question says what it is.
  return words ?? { question: `Send '${c.command}' to ${label}?`, confirmText: 'Send' };
}
