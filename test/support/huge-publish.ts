/**
 * One MQTT PUBLISH that claims `bytes` of payload, sent over a raw socket (MQTT 3.1.1, QoS 0, retained)
 * and streamed as zeros, so the test never holds the message itself: the broker either closes the
 * connection once the header names the size, or takes it all.
 */
import { readFileSync } from 'node:fs';
import { connect as tcp } from 'node:net';

const str = (s: string) => {
  const b = Buffer.from(s);
  return Buffer.concat([Buffer.from([b.length >> 8, b.length & 0xff]), b]);
};

function remainingLength(n: number): Buffer {
  const out: number[] = [];
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    out.push(byte);
  } while (n > 0);
  return Buffer.from(out);
}

export type HugeResult = { sent: number; closedEarly: boolean };

export async function sendHugePublish(
  url: string,
  topic: string,
  bytes: number,
  login: { username?: string; password?: string } = {},
): Promise<HugeResult> {
  const { hostname, port } = new URL(url);
  const socket = tcp(Number(port), hostname.replace(/^\[|\]$/g, ''));
  let closed = false;
  socket.on('close', () => {
    closed = true;
  });
  socket.on('error', () => undefined);
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', () => resolve());
    socket.once('error', reject);
  });
  const flags = (login.username ? 0x80 : 0) | (login.password ? 0x40 : 0) | 0x02;
  const variable = Buffer.concat([str('MQTT'), Buffer.from([4, flags, 0, 60])]);
  const payload = Buffer.concat([
    str(`huge-${process.pid}-${Date.now()}`),
    ...(login.username ? [str(login.username)] : []),
    ...(login.password ? [str(login.password)] : []),
  ]);
  const body = Buffer.concat([variable, payload]);
  socket.write(Buffer.concat([Buffer.from([0x10]), remainingLength(body.length), body]));
  const connack = await new Promise<Buffer>((resolve) => socket.once('data', resolve));
  if (connack[0] !== 0x20 || connack[3] !== 0) throw new Error(`not connected: ${connack.toString('hex')}`);
  const topicBytes = str(topic);
  socket.write(Buffer.concat([Buffer.from([0x31]), remainingLength(topicBytes.length + bytes), topicBytes]));
  const chunk = Buffer.alloc(1024 * 1024);
  let sent = 0;
  while (sent < bytes && !closed) {
    const n = Math.min(chunk.length, bytes - sent);
    const ok = socket.write(n === chunk.length ? chunk : chunk.subarray(0, n));
    sent += n;
    if (!ok)
      await new Promise<void>((resolve) => {
        const done = () => {
          socket.off('drain', done);
          socket.off('close', done);
          resolve();
        };
        socket.on('drain', done);
        socket.on('close', done);
      });
  }
  await new Promise((r) => setTimeout(r, 200));
  const closedEarly = closed && sent < bytes;
  socket.destroy();
  return { sent, closedEarly };
}

/** Resident and peak memory of a process, MB (Linux /proc). */
export function memoryMB(pid: number): { rss: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (k: string) => Number(new RegExp(`${k}:\\s+(\\d+)`).exec(status)?.[1] ?? Number.NaN);
  return { rss: kb('VmRSS') / 1024, peak: kb('VmHWM') / 1024 };
}
