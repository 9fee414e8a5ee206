/**
 * The Host/Origin rules of app/editor-guard.ts where a test process cannot listen: the editor beyond
 * loopback (HOST an address or a wildcard, with a login) and CELLRIG_HOSTNAMES. The loopback editor is
 * tested through the real launcher in test/integration/editor-guard.test.ts.
 */
import { hostname } from 'node:os';
import { describe, expect, it } from 'vitest';
import { allowedHosts, refusal } from '../../../app/editor-guard';
import { readEnv } from '../../../app/env';

const get = (host: string | undefined, more: Record<string, string> = {}) => ({
  method: 'GET',
  headers: { host, ...more },
});

describe('editor guard beyond loopback', () => {
  it('a login and HOST=192.168.1.20: that address and CELLRIG_HOSTNAMES too, nothing else', () => {
    const allowed = allowedHosts({
      host: '192.168.1.20',
      port: 1880,
      hostnames: ['rig01.lab.example', 'proxy.lab.example:443'],
      login: true,
    });
    for (const ok of ['192.168.1.20:1880', 'rig01.lab.example:1880', 'proxy.lab.example', '127.0.0.1:1880'])
      expect([ok, refusal(get(ok), allowed)]).toEqual([ok, undefined]);
    for (const bad of [
      'evil.example:1880',
      '192.168.1.21:1880',
      'rig01.lab.example:1881',
      'proxy.lab.example:80',
    ])
      expect([bad, refusal(get(bad), allowed)]).toEqual([bad, expect.stringMatching(/CELLRIG_HOSTNAMES/)]);
    expect(
      refusal(get('rig01.lab.example:1880', { origin: 'https://proxy.lab.example' }), allowed),
    ).toBeUndefined();
    expect(refusal(get('rig01.lab.example:1880', { origin: 'http://evil.example' }), allowed)).toMatch(
      /Origin/,
    );
  });

  it('without a login the address is not added (the environment refuses that start anyway)', () => {
    const allowed = allowedHosts({ host: '192.168.1.20', port: 1880, hostnames: ['rig01'], login: false });
    expect(refusal(get('192.168.1.20:1880'), allowed)).toMatch(/DNS rebinding/);
    expect(refusal(get('rig01:1880'), allowed)).toMatch(/DNS rebinding/);
    expect(() => readEnv({ HOST: '192.168.1.20' })).toThrow(
      /HOST: binding the editor to 192\.168\.1\.20 needs/,
    );
  });

  it('a wildcard HOST with a login: this machine by name; IPv6 in brackets; a loopback HOST adds nothing', () => {
    const any = allowedHosts({ host: '0.0.0.0', port: 1880, hostnames: [], login: true });
    expect(refusal(get(`${hostname()}:1880`), any)).toBeUndefined();
    expect(refusal(get('evil.example:1880'), any)).toMatch(/Host/);
    const v6 = allowedHosts({ host: 'fd00::20', port: 1880, hostnames: [], login: true });
    expect(refusal(get('[fd00::20]:1880'), v6)).toBeUndefined();
    const loop = allowedHosts({ host: '::1', port: 1880, hostnames: ['rig01'], login: true });
    expect(refusal(get('rig01:1880'), loop)).toMatch(/open the editor as/);
  });

  it('CELLRIG_HOSTNAMES: names and addresses with an optional port, anything else named', () => {
    expect(readEnv({ CELLRIG_HOSTNAMES: ' rig01.lab , 10.0.0.5:8443,[fd00::1]' }).CELLRIG_HOSTNAMES).toEqual([
      'rig01.lab',
      '10.0.0.5:8443',
      '[fd00::1]',
    ]);
    expect(readEnv({}).CELLRIG_HOSTNAMES).toEqual([]);
    expect(() => readEnv({ CELLRIG_HOSTNAMES: 'http://rig01' })).toThrow(
      /CELLRIG_HOSTNAMES: 'http:\/\/rig01' is not a host name/,
    );
  });

  it('a POST without Origin or Referer: JSON or the API header passes, a form body does not', () => {
    const allowed = allowedHosts({ host: '127.0.0.1', port: 1880, hostnames: [], login: false });
    const post = (headers: Record<string, string>) => ({
      method: 'POST',
      headers: { host: '127.0.0.1:1880', ...headers },
    });
    expect(refusal(post({ 'content-type': 'application/json; charset=utf-8' }), allowed)).toBeUndefined();
    expect(refusal(post({ 'node-red-api-version': 'v2' }), allowed)).toBeUndefined();
    expect(refusal(post({ 'content-type': 'multipart/form-data; boundary=x' }), allowed)).toMatch(/JSON/);
    expect(refusal(post({}), allowed)).toMatch(/JSON/);
    expect(
      refusal(post({ referer: 'http://localhost:1880/#flow/1', 'content-type': 'text/plain' }), allowed),
    ).toBeUndefined();
  });
});
