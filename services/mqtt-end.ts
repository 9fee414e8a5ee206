/** Ending an MQTT.js client without hanging a shutdown. */
import type { MqttClient } from 'mqtt';

/**
 * A clean end waits for in-flight messages; with the broker gone it would wait forever, so after
 * `graceMs` the connection is closed without waiting.
 */
export async function endClient(client: MqttClient, graceMs = 1500): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<'timeout'>((r) => {
    timer = setTimeout(() => r('timeout'), graceMs);
  });
  const outcome = await Promise.race([client.endAsync(false), timeout]);
  clearTimeout(timer);
  if (outcome === 'timeout') await client.endAsync(true);
}
