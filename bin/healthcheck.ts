#!/usr/bin/env node
/**
 * The container's health check: `cellrig start` is healthy while its HTTP server (editor and panel)
 * answers on loopback at PORT. Any HTTP answer counts (a login page or a 401 still means the process
 * serves); a refused connection or no answer within 4 s does not. Exit 0 healthy, 1 not.
 */
import { request } from 'node:http';

const port = Number(process.env.PORT ?? '1880');
const req = request({ host: '127.0.0.1', port, path: '/', method: 'GET', timeout: 4000 }, (res) => {
  res.resume();
  process.exitCode = res.statusCode !== undefined && res.statusCode < 500 ? 0 : 1;
});
req.on('timeout', () => req.destroy(new Error('no answer within 4 s')));
req.on('error', (err) => {
  process.stderr.write(`healthcheck: http://127.0.0.1:${port}/: ${err.message}\n`);
  process.exitCode = 1;
});
req.end();
