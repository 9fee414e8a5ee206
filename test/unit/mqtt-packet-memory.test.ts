/**
 * The launcher turns mqtt-packet's table of 65,536 Buffers off (app/mqtt-packet-memory.ts) in the copy
 * the broker, our client and Node-RED's mqtt nodes load, and packets still encode as before.
 */
import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { dropMqttPacketNumberCache, mqttPacketCopies } from '../../app/mqtt-packet-memory';

type MqttPacket = {
  generate(packet: object): Buffer;
  writeToStream: { cacheNumbers: boolean };
};
const load = (file: string) => createRequire(__filename)(file) as MqttPacket;

describe('mqtt-packet without its number table', () => {
  it('is off in every copy the broker and the clients load, and a publish encodes the same', () => {
    const copies = mqttPacketCopies();
    expect(copies.length).toBeGreaterThanOrEqual(1);
    const publish = {
      cmd: 'publish',
      topic: 'cellrig/v1/rig01/ch1/pressure',
      payload: 'x',
      qos: 1,
      messageId: 4242,
    };
    const before = load(copies[0]!).generate(publish);
    dropMqttPacketNumberCache();
    for (const file of copies) expect(load(file).writeToStream.cacheNumbers).toBe(false);
    expect(load(copies[0]!).generate(publish)).toEqual(before);
  });
});
