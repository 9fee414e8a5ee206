/**
 * mqtt-packet, the MQTT encoder under the embedded broker (aedes), our telemetry client (mqtt) and
 * Node-RED's mqtt nodes, fills a table of 65,536 two-byte Buffers the first time it writes a packet, to
 * save one small allocation per packet id or length it writes: 6.5 MB of the edge process's heap (a
 * Buffer object is 96 bytes, and the table has one for every possible number). At a rig's few hundred
 * packets a second the allocation costs nothing measurable; the table costs a twentieth of the 150 MB
 * budget. So the launcher turns it off before any packet is written, in the copy each of them loads.
 */
import { createRequire } from 'node:module';

type Encoder = { writeToStream: { cacheNumbers: boolean } };

/** The mqtt-packet files the broker, the client and Node-RED's mqtt nodes load (the same file, today). */
export function mqttPacketCopies(): string[] {
  const from = (pkg: string, base = __filename) => createRequire(base).resolve(pkg);
  const nodeRedMqtt = from('mqtt', from('@node-red/nodes/package.json'));
  const users = [from('aedes'), from('mqtt'), nodeRedMqtt];
  return [...new Set(users.map((u) => from('mqtt-packet', u)))];
}

/** Writes each number as it comes instead of from the table, which is then never built. */
export function dropMqttPacketNumberCache(): void {
  for (const file of mqttPacketCopies()) (require(file) as Encoder).writeToStream.cacheNumbers = false;
}
