/** An embedded aedes MQTT broker, so `npm start` needs no other service. */
import { createServer, type Server } from 'node:net';

export type EmbeddedBroker = { url: string; close(): Promise<void> };

export async function startEmbeddedBroker(host: string, port: number): Promise<EmbeddedBroker> {
  // aedes 1.x is ESM-only; a dynamic import loads it from this CommonJS build.
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker();
  const server: Server = createServer(broker.handle);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
  } catch (err) {
    // The broker's own timers would keep the process alive after a failed start.
    await new Promise<void>((resolve) => broker.close(() => resolve()));
    throw err;
  }
  const address = server.address();
  const boundPort = typeof address === 'object' && address ? address.port : port;
  return {
    url: `mqtt://${host}:${boundPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => server.close(() => resolve()));
      }),
  };
}
