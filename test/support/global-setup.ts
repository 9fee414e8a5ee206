/** One Mosquitto and one InfluxDB for the whole run; tests that restart servers start their own. */
import type { TestProject } from 'vitest/node' with { 'resolution-mode': 'import' };
import { startInflux, startMosquitto } from './services';

declare module 'vitest' {
  export interface ProvidedContext {
    mqttUrl: string;
    influxUrl: string;
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const [mosquitto, influx] = await Promise.all([startMosquitto(), startInflux()]);
  project.provide('mqttUrl', mosquitto.url);
  project.provide('influxUrl', influx.url);
  return async () => {
    await Promise.all([mosquitto.dispose(), influx.dispose()]);
  };
}
