/**
 * The topic scheme: cellrig/v1/<rig>/<channel>/<stream> for samples, and a few rig-level topics
 * (status, ack, deadletter). Building and parsing live together so they cannot drift apart.
 */
export const TOPIC_ROOT = 'cellrig/v1';
export const RIG_TOPICS = ['status', 'ack', 'deadletter'] as const;
export type RigTopic = (typeof RIG_TOPICS)[number];

export function streamTopic(rig: string, channel: string, stream: string): string {
  return `${TOPIC_ROOT}/${rig}/${channel}/${stream}`;
}

export function rigTopic(rig: string, kind: RigTopic): string {
  return `${TOPIC_ROOT}/${rig}/${kind}`;
}

export type ParsedTopic =
  | { kind: 'stream'; rig: string; channel: string; stream: string }
  | { kind: 'rig'; rig: string; topic: RigTopic }
  | { kind: 'other'; rig: string | undefined };

export function parseTopic(topic: string): ParsedTopic {
  const parts = topic.split('/');
  if (parts[0] !== 'cellrig' || parts[1] !== 'v1') return { kind: 'other', rig: undefined };
  const rig = parts[2];
  if (parts.length === 4 && rig && (RIG_TOPICS as readonly string[]).includes(parts[3] ?? '')) {
    return { kind: 'rig', rig, topic: parts[3] as RigTopic };
  }
  if (parts.length === 5 && rig && parts[3] && parts[4]) {
    return { kind: 'stream', rig, channel: parts[3], stream: parts[4] };
  }
  return { kind: 'other', rig: rig || undefined };
}
