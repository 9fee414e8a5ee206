/**
 * An embedded aedes MQTT broker, so `npm start` needs no other service. Hardened like the shipped
 * Mosquitto config: a packet larger than `maxPacketBytes` closes its connection as soon as its header
 * names the size (aedes would otherwise buffer all of it); with logins configured, a client that names
 * a user must give its password, and on a non-loopback address every client must; only the writer's
 * login may publish acknowledgements and dead-letter notices; a rig's login publishes only under its own
 * prefix.
 */
import { timingSafeEqual } from 'node:crypto';
import { createServer, type Server, type Socket } from 'node:net';

export type EmbeddedBroker = { url: string; close(): Promise<void> };

export type EmbeddedBrokerOptions = {
  /** Logins, user -> password (a rig's user is its id). Required on a non-loopback host. */
  users?: Record<string, string>;
  /** The login that alone may publish cellrig/v1/<rig>/ack and /deadletter. */
  writerUser?: string;
  /** Packets larger than this close the connection (default 256 KiB, as deploy/mosquitto). */
  maxPacketBytes?: number;
  /** Every client must log in; default: when `host` is not loopback. */
  requireLogin?: boolean;
};

export const DEFAULT_MAX_PACKET_BYTES = 256 * 1024;
const LOOPBACK = new Set(['127.0.0.1', 'localhost', '::1']);
export const isLoopback = (host: string) => LOOPBACK.has(host) || host.startsWith('127.');

const WRITER_TOPIC = /^cellrig\/v1\/[^/]+\/(ack|deadletter)$/;

type Identified = { cellrigUser?: string };

export async function startEmbeddedBroker(
  host: string,
  port: number,
  options: EmbeddedBrokerOptions = {},
): Promise<EmbeddedBroker> {
  const users = options.users ?? {};
  const anonymous = !(options.requireLogin ?? !isLoopback(host));
  if (!anonymous && Object.keys(users).length === 0)
    throw new Error(`the embedded MQTT broker on ${host} needs logins (MQTT_USER and MQTT_PASSWORD)`);
  const maxPacket = options.maxPacketBytes ?? DEFAULT_MAX_PACKET_BYTES;
  // aedes 1.x is ESM-only; a dynamic import loads it from this CommonJS build.
  const { Aedes } = await import('aedes');
  const broker = await Aedes.createBroker({
    authenticate: (client, username, password, done) => {
      if (username === undefined) {
        done(null, anonymous);
        return;
      }
      const expected = users[username];
      const given = Buffer.from(password ?? '');
      const ok = expected !== undefined && sameSecret(Buffer.from(expected), given);
      if (ok) (client as unknown as Identified).cellrigUser = username;
      done(null, ok);
    },
    authorizePublish: (client, packet, done) => {
      if (!client) return done(null); // the broker's own messages (the last will is the client's: below)
      const user = (client as unknown as Identified).cellrigUser;
      if (WRITER_TOPIC.test(packet.topic))
        return done(
          user !== undefined && user === options.writerUser
            ? null
            : new Error(`${packet.topic}: only the writer publishes acknowledgements`),
        );
      // A rig's login writes only under its own prefix; the writer's and anonymous ones anywhere else.
      if (
        user !== undefined &&
        user !== options.writerUser &&
        !packet.topic.startsWith(`cellrig/v1/${user}/`)
      )
        return done(new Error(`${packet.topic}: ${user} publishes only under cellrig/v1/${user}/`));
      done(null);
    },
  });
  const sockets = new Set<Socket>();
  const server: Server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    limitPacketSize(socket, maxPacket);
    broker.handle(socket);
  });
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
    url: `mqtt://${host.includes(':') ? `[${host}]` : host}:${boundPort}`,
    close: () =>
      new Promise<void>((resolve) => {
        broker.close(() => {
          // aedes closes the clients it knows; a connection still logging in is not one of them yet,
          // and server.close would wait for it for ever.
          for (const socket of sockets) socket.destroy();
          server.close(() => resolve());
        });
      }),
  };
}

function sameSecret(a: Buffer, b: Buffer): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}

/**
 * Follows MQTT packet boundaries in what the broker reads from `socket` (each chunk it reads is also
 * emitted as 'data') and destroys the socket when a packet's remaining length exceeds `max`: the
 * broker's parser holds at most the chunk that carried the header, never the packet.
 */
export function limitPacketSize(socket: Socket, max: number): void {
  let skip = 0; // body bytes of the current packet still to pass
  let header = -1; // -1: expecting a fixed header's first byte; else bytes of the length read so far
  let length = 0;
  let multiplier = 1;
  socket.on('data', (chunk: Buffer) => {
    let i = 0;
    while (i < chunk.length) {
      if (skip > 0) {
        const n = Math.min(skip, chunk.length - i);
        skip -= n;
        i += n;
        continue;
      }
      if (header < 0) {
        header = 0;
        length = 0;
        multiplier = 1;
        i++; // the packet type byte
        continue;
      }
      const b = chunk[i++] as number;
      length += (b & 0x7f) * multiplier;
      multiplier *= 128;
      header++;
      if ((b & 0x80) !== 0 && header < 4) continue;
      if (length > max) {
        socket.destroy(new Error(`MQTT packet of ${length} bytes (limit ${max})`));
        return;
      }
      header = -1;
      skip = length;
    }
  });
}
