/** Driver for the TCA9548A I2C multiplexer: several identical-address ADCs on one bus. */
import type { I2cOps } from './i2c-bus';

export const TCA9548A_DEFAULT_ADDRESS = 0x70;

export async function selectMuxPort(
  bus: I2cOps,
  port: number,
  address = TCA9548A_DEFAULT_ADDRESS,
): Promise<void> {
  bus.write(address, [1 << port]);
  // Reading the control byte back confirms the mux is there and took the selection. The TCA9548A has no
  // register pointer: a read with a register would first write that byte as the control byte (0x00
  // deselects every port), so the read goes without one.
  const [control] = await bus.read(address, undefined, 1, `TCA9548A at 0x${address.toString(16)}`);
  if (control !== 1 << port) throw new Error(`TCA9548A: port ${port} not selected (control byte ${control})`);
}
