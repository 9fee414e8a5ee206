/** Rig and channel configuration: the zod schemas are the single source of truth for both. */
import { z } from 'zod';
import { loadCellCalibrationSchema } from './load-cell';

/** Ids become MQTT topic levels and InfluxDB tags: keep them to characters that are safe in both. */
export const idSchema = z
  .string()
  .trim()
  .min(1, 'must not be empty')
  .max(64)
  .regex(/^[A-Za-z0-9_-]+$/, 'only letters, digits, _ and - (it becomes an MQTT topic level)');

export const ioBackendSchema = z.enum(['sim', 'firmata', 'linux']);
export type IoBackend = z.infer<typeof ioBackendSchema>;

export const rigConfigSchema = z.object({
  rigId: idSchema,
  backend: ioBackendSchema.default('sim'),
  /** Seed of the simulated rig's noise, so a simulated run repeats exactly. */
  seed: z.coerce.number().int().min(0).default(1),
  /** Serial port of the Firmata microcontroller (backend 'firmata'); /dev/ttyACM0 when not set. */
  serialPort: z.string().trim().min(1).max(200).optional(),
  /** Output that carries the heartbeat to the hardware watchdog; GPIO22 (header pin 15) when not set. */
  heartbeatPin: z.coerce.number().int().min(0).max(255).optional(),
  /** The Pi's I2C bus for backend 'linux' (/dev/i2c-N); 1 (the header's SDA/SCL pins) when not set. */
  i2cBus: z.coerce.number().int().min(0).max(255).optional(),
  /** GPIO chip for backend 'linux' (gpiochipN or a path); found by its pinctrl label when not set. */
  gpioChip: z
    .string()
    .trim()
    .regex(/^(\/dev\/)?gpiochip\d+$/, 'gpiochipN or /dev/gpiochipN')
    .optional(),
});
export type RigConfig = z.infer<typeof rigConfigSchema>;

export const coatingSchema = z.enum(['pristine', 'LNO', 'TFAA-2wt%']);
export type Coating = z.infer<typeof coatingSchema>;

/** Default bridge-ADC calibration: a 20 kN, 2 mV/V cell on a NAU7802 at gain 128 with 3.3 V excitation. */
export const DEFAULT_LOAD_CELL = { zeroCounts: 8_000, countsPerN: 107.37 } as const;

export const channelConfigSchema = z.object({
  channel: idSchema,
  cell: idSchema,
  coating: coatingSchema,
  /** Port of the TCA9548A I2C multiplexer that the channel's load-cell ADC sits behind. */
  muxPort: z.coerce.number().int().min(0).max(7),
  dieDiameterMm: z.coerce.number().positive().max(100).default(10),
  samplePeriodMs: z.coerce.number().int().min(50).max(3_600_000).default(1000),
  calibration: loadCellCalibrationSchema.default(DEFAULT_LOAD_CELL),
});
export type ChannelConfig = z.infer<typeof channelConfigSchema>;

/** One line that names every bad field, for a log line and a node status. */
export function describeZodError(err: z.ZodError, what: string): string {
  return `${what}: ${err.issues.map((i) => `${i.path.length ? i.path.join('.') : '(root)'}: ${i.message}`).join('; ')}`;
}
