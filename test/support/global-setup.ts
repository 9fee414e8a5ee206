/** One Mosquitto and one InfluxDB for the whole run; tests that restart servers start their own. */
import { startInflux, startMosquitto } from './services';

declare module 'vitest' {
  export interface ProvidedContext {
    mqttUrl: string;
    influxUrl: string;
  }
}

/** The part of vitest's TestProject used here (vitest/node is ESM-only, this project compiles to CommonJS). */
type Provider = {
  provide<K extends keyof import('vitest').ProvidedContext>(
    key: K,
    value: import('vitest').ProvidedContext[K],
  ): void;
};

export default async function setup(project: Provider): Promise<() => Promise<void>> {
  const [mosquitto, influx] = await Promise.all([startMosquitto(), startInflux()]);
  project.provide('mqttUrl', mosquitto.url);
  project.provide('influxUrl', influx.url);
  return async () => {
    await Promise.all([mosquitto.dispose(), influx.dispose()]);
  };
}
