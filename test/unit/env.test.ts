import bcrypt from 'bcryptjs';
import { describe, expect, it } from 'vitest';
import { readEnv } from '../../app/env';

describe('launcher environment', () => {
  it('has the documented defaults', () => {
    expect(readEnv({})).toMatchObject({
      PORT: 1880,
      HOST: '127.0.0.1',
      MQTT_PORT: 1883,
      INFLUX_DB: 'cellrig',
      RIG_ID: 'rig01',
      CELLRIG_DATA: './.cellrig',
    });
    expect(readEnv({}).MQTT_URL).toBeUndefined();
  });

  it('names the variable that is wrong', () => {
    expect(() => readEnv({ PORT: 'eighty' })).toThrow(/PORT/);
    expect(() => readEnv({ MQTT_URL: 'http://broker' })).toThrow(/MQTT_URL: must be an mqtt/);
    expect(() => readEnv({ RIG_ID: 'rig 01' })).toThrow(/RIG_ID/);
    expect(() => readEnv({ INFLUX_URL: 'influx:8086' })).toThrow(/INFLUX_URL/);
  });

  it('takes the analysis pool settings, each named when wrong', () => {
    expect(
      readEnv({
        CELLRIG_ANALYSIS_THREADS: '2',
        CELLRIG_ANALYSIS_QUEUE: '0',
        CELLRIG_ANALYSIS_TIMEOUT_S: '1.5',
      }),
    ).toMatchObject({
      CELLRIG_ANALYSIS_THREADS: 2,
      CELLRIG_ANALYSIS_QUEUE: 0,
      CELLRIG_ANALYSIS_TIMEOUT_S: 1.5,
    });
    expect(readEnv({}).CELLRIG_ANALYSIS_THREADS).toBeUndefined();
    expect(() => readEnv({ CELLRIG_ANALYSIS_THREADS: '0' })).toThrow(/CELLRIG_ANALYSIS_THREADS/);
    expect(() => readEnv({ CELLRIG_ANALYSIS_QUEUE: '-1' })).toThrow(/CELLRIG_ANALYSIS_QUEUE/);
    expect(() => readEnv({ CELLRIG_ANALYSIS_TIMEOUT_S: 'soon' })).toThrow(/CELLRIG_ANALYSIS_TIMEOUT_S/);
  });

  it('refuses a broker or database URL that could never be connected to', () => {
    // The review's MQTT_URL passed validation and then hung the rig.
    expect(() => readEnv({ MQTT_URL: 'mqtt://127.0.0.1:99999' })).toThrow(/MQTT_URL: not a valid URL/);
    expect(() => readEnv({ MQTT_URL: 'mqtt://127.0.0.1:0' })).toThrow(/MQTT_URL: port 0/);
    expect(() => readEnv({ MQTT_URL: 'mqtt://' })).toThrow(/MQTT_URL: the URL has no host/);
    expect(() => readEnv({ INFLUX_URL: 'http://127.0.0.1:65536' })).toThrow(/INFLUX_URL: not a valid URL/);
    // Not echoed: a URL may carry a password.
    expect(() => readEnv({ MQTT_URL: 'mqtt://u:hunter2@h:70000' })).toThrow(/^((?!hunter2)[\s\S])*$/);
    expect(
      readEnv({ MQTT_URL: 'mqtts://u:p@broker.lab:8883', INFLUX_URL: 'http://[::1]:8086' }),
    ).toMatchObject({
      MQTT_URL: 'mqtts://u:p@broker.lab:8883',
    });
  });

  it('refuses to expose the editor beyond loopback without an admin login', () => {
    expect(() => readEnv({ HOST: '0.0.0.0' })).toThrow(/HOST: binding the editor to 0\.0\.0\.0 needs/);
    const hash = bcrypt.hashSync('correct horse battery', 4);
    expect(
      readEnv({
        HOST: '0.0.0.0',
        MQTT_HOST: '127.0.0.1',
        CELLRIG_ADMIN_USER: 'lab',
        CELLRIG_ADMIN_PASSWORD_HASH: hash,
      }).HOST,
    ).toBe('0.0.0.0');
    expect(() => readEnv({ CELLRIG_ADMIN_USER: 'lab' })).toThrow(/CELLRIG_ADMIN_PASSWORD_HASH: set both/);
    expect(() => readEnv({ CELLRIG_ADMIN_USER: 'lab', CELLRIG_ADMIN_PASSWORD_HASH: 'secret' })).toThrow(
      /bcrypt hash/,
    );
  });

  it('refuses a sped-up oven on a real rig, and takes one from 1 to 100 on the simulated one', () => {
    for (const backend of ['firmata', 'linux'])
      expect(() => readEnv({ RIG_BACKEND: backend, CELLRIG_SIM_OVEN_SCALE: '60' })).toThrow(
        `CELLRIG_SIM_OVEN_SCALE: is for the simulated rig only (RIG_BACKEND is ${backend})`,
      );
    expect(readEnv({ RIG_BACKEND: 'firmata', CELLRIG_SIM_OVEN_SCALE: '1' }).CELLRIG_SIM_OVEN_SCALE).toBe(1);
    expect(readEnv({ CELLRIG_SIM_OVEN_SCALE: '30' }).CELLRIG_SIM_OVEN_SCALE).toBe(30);
    expect(() => readEnv({ CELLRIG_SIM_OVEN_SCALE: '500' })).toThrow(/CELLRIG_SIM_OVEN_SCALE/);
  });

  it('CELLRIG_CREDENTIAL_SECRET: empty is unset (an env file line left blank), short is refused by name', () => {
    expect(readEnv({ CELLRIG_CREDENTIAL_SECRET: '' }).CELLRIG_CREDENTIAL_SECRET).toBeUndefined();
    expect(readEnv({ CELLRIG_CREDENTIAL_SECRET: 'a'.repeat(16) }).CELLRIG_CREDENTIAL_SECRET).toBe(
      'a'.repeat(16),
    );
    expect(() => readEnv({ CELLRIG_CREDENTIAL_SECRET: 'short' })).toThrow(
      /CELLRIG_CREDENTIAL_SECRET: at least 16 characters/,
    );
  });
});
