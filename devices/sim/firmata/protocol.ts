/**
 * The Firmata 2.5 wire format as a board sees it: the command bytes, a parser for what the host sends
 * (MIDI-style messages and sysex), and encoders for what a board sends back. Byte values follow
 * firmata.js and StandardFirmata 2.5 (Firmata's protocol.md), not a copy of either.
 */
export const CMD = {
  DIGITAL_MESSAGE: 0x90,
  ANALOG_MESSAGE: 0xe0,
  REPORT_ANALOG: 0xc0,
  REPORT_DIGITAL: 0xd0,
  SET_PIN_MODE: 0xf4,
  SET_DIGITAL_PIN_VALUE: 0xf5,
  REPORT_VERSION: 0xf9,
  SYSTEM_RESET: 0xff,
  START_SYSEX: 0xf0,
  END_SYSEX: 0xf7,
} as const;

export const SYSEX = {
  ANALOG_MAPPING_QUERY: 0x69,
  ANALOG_MAPPING_RESPONSE: 0x6a,
  CAPABILITY_QUERY: 0x6b,
  CAPABILITY_RESPONSE: 0x6c,
  PIN_STATE_QUERY: 0x6d,
  PIN_STATE_RESPONSE: 0x6e,
  STRING_DATA: 0x71,
  I2C_REQUEST: 0x76,
  I2C_REPLY: 0x77,
  I2C_CONFIG: 0x78,
  REPORT_FIRMWARE: 0x79,
  SAMPLING_INTERVAL: 0x7a,
} as const;

export const PIN_MODE = {
  INPUT: 0x00,
  OUTPUT: 0x01,
  ANALOG: 0x02,
  PWM: 0x03,
  SERVO: 0x04,
  I2C: 0x06,
  PULLUP: 0x0b,
} as const;

/** I2C_REQUEST's second byte: bits 3-4 the mode, bit 5 a 10-bit address, bit 6 "restart, no stop". */
export const I2C_MODE = { WRITE: 0, READ: 1, CONTINUOUS_READ: 2, STOP_READING: 3 } as const;

export type HostMessage =
  | { type: 'digital-port'; port: number; value: number }
  | { type: 'analog-write'; pin: number; value: number }
  | { type: 'report-analog'; pin: number; enable: boolean }
  | { type: 'report-digital'; port: number; enable: boolean }
  | { type: 'pin-mode'; pin: number; mode: number }
  | { type: 'pin-value'; pin: number; value: number }
  | { type: 'version-query' }
  | { type: 'system-reset' }
  | { type: 'sysex'; command: number; data: number[] };

/** Bytes of data that follow each MIDI-style command (high nibble for the channel commands). */
function dataBytesFor(command: number): number | undefined {
  if (command === CMD.SET_PIN_MODE || command === CMD.SET_DIGITAL_PIN_VALUE) return 2;
  if (command === CMD.REPORT_VERSION || command === CMD.SYSTEM_RESET) return 0;
  const high = command & 0xf0;
  if (high === CMD.DIGITAL_MESSAGE || high === CMD.ANALOG_MESSAGE) return 2;
  if (high === CMD.REPORT_ANALOG || high === CMD.REPORT_DIGITAL) return 1;
  return undefined;
}

/** StandardFirmata's input buffer: sysex longer than this is cut (the sketch drops the excess). */
const MAX_SYSEX_BYTES = 64;

/**
 * Parses the host's bytes as StandardFirmata's FirmataParser does: a command byte (>= 0x80) starts a
 * message and abandons an unfinished one; data bytes (< 0x80) fill it; a sysex runs to END_SYSEX.
 */
export class HostParser {
  private command: number | undefined;
  private data: number[] = [];
  private inSysex = false;

  constructor(private readonly onMessage: (m: HostMessage) => void) {}

  push(bytes: Iterable<number>): void {
    for (const b of bytes) this.byte(b & 0xff);
  }

  private byte(b: number): void {
    if (this.inSysex) {
      if (b === CMD.END_SYSEX) {
        this.inSysex = false;
        const [command, ...data] = this.data;
        this.data = [];
        if (command !== undefined) this.onMessage({ type: 'sysex', command, data });
      } else if (this.data.length < MAX_SYSEX_BYTES) this.data.push(b);
      return;
    }
    if (b >= 0x80) {
      this.data = [];
      if (b === CMD.START_SYSEX) {
        this.inSysex = true;
        this.command = undefined;
        return;
      }
      this.command = dataBytesFor(b) === undefined ? undefined : b;
      if (this.command !== undefined && dataBytesFor(b) === 0) this.complete();
      return;
    }
    if (this.command === undefined) return; // a stray data byte: nothing to attach it to
    this.data.push(b);
    if (this.data.length === dataBytesFor(this.command)) this.complete();
  }

  private complete(): void {
    const c = this.command!;
    const [a = 0, b = 0] = this.data;
    this.command = undefined;
    this.data = [];
    const high = c & 0xf0;
    if (c === CMD.SET_PIN_MODE) this.onMessage({ type: 'pin-mode', pin: a, mode: b });
    else if (c === CMD.SET_DIGITAL_PIN_VALUE) this.onMessage({ type: 'pin-value', pin: a, value: b });
    else if (c === CMD.REPORT_VERSION) this.onMessage({ type: 'version-query' });
    else if (c === CMD.SYSTEM_RESET) this.onMessage({ type: 'system-reset' });
    else if (high === CMD.DIGITAL_MESSAGE)
      this.onMessage({ type: 'digital-port', port: c & 0x0f, value: a | (b << 7) });
    else if (high === CMD.ANALOG_MESSAGE)
      this.onMessage({ type: 'analog-write', pin: c & 0x0f, value: a | (b << 7) });
    else if (high === CMD.REPORT_ANALOG)
      this.onMessage({ type: 'report-analog', pin: c & 0x0f, enable: a !== 0 });
    else if (high === CMD.REPORT_DIGITAL)
      this.onMessage({ type: 'report-digital', port: c & 0x0f, enable: a !== 0 });
  }
}

/** 8-bit values as Firmata's 7-bit pairs (LSB first). */
export function to7bitPairs(values: readonly number[]): number[] {
  return values.flatMap((v) => [v & 0x7f, (v >> 7) & 0x7f]);
}

export function from7bitPairs(data: readonly number[]): number[] {
  const out: number[] = [];
  for (let i = 0; i + 1 < data.length; i += 2) out.push((data[i]! & 0x7f) | ((data[i + 1]! & 0x7f) << 7));
  return out;
}

export const encode = {
  version: (major: number, minor: number) => [CMD.REPORT_VERSION, major, minor],
  sysex: (command: number, data: readonly number[]) => [CMD.START_SYSEX, command, ...data, CMD.END_SYSEX],
  firmware: (major: number, minor: number, name: string) =>
    encode.sysex(SYSEX.REPORT_FIRMWARE, [major, minor, ...to7bitPairs([...Buffer.from(name, 'ascii')])]),
  string: (text: string) => encode.sysex(SYSEX.STRING_DATA, to7bitPairs([...Buffer.from(text, 'ascii')])),
  digitalPort: (port: number, value: number) => [
    CMD.DIGITAL_MESSAGE | port,
    value & 0x7f,
    (value >> 7) & 0x7f,
  ],
  analog: (channel: number, value: number) => [
    CMD.ANALOG_MESSAGE | channel,
    value & 0x7f,
    (value >> 7) & 0x7f,
  ],
  i2cReply: (address: number, register: number, bytes: readonly number[]) =>
    encode.sysex(SYSEX.I2C_REPLY, to7bitPairs([address, register, ...bytes])),
};
