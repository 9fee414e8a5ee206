/** A TCA9548A I2C multiplexer: one control byte selects which downstream ports the bus reaches. */
export const TCA9548A_ADDRESS = 0x70;

export type I2cSimDevice = {
  write(bytes: readonly number[]): void;
  read(register: number | undefined, length: number): number[];
};

export class Tca9548aSim implements I2cSimDevice {
  private control = 0;
  private readonly ports = new Map<number, Map<number, I2cSimDevice>>();

  attach(port: number, address: number, device: I2cSimDevice): void {
    const devices = this.ports.get(port) ?? new Map<number, I2cSimDevice>();
    devices.set(address, device);
    this.ports.set(port, devices);
  }

  detach(port: number, address: number): void {
    this.ports.get(port)?.delete(address);
  }

  write(bytes: readonly number[]): void {
    const last = bytes[bytes.length - 1];
    if (last !== undefined) this.control = last & 0xff;
  }

  read(_register: number | undefined, length: number): number[] {
    return Array.from({ length }, () => this.control);
  }

  /** The device that answers `address` on the enabled ports; none if zero or several answer. */
  downstream(address: number): I2cSimDevice | undefined {
    const found: I2cSimDevice[] = [];
    for (let port = 0; port < 8; port++) {
      if (!(this.control & (1 << port))) continue;
      const d = this.ports.get(port)?.get(address);
      if (d) found.push(d);
    }
    return found.length === 1 ? found[0] : undefined;
  }
}
