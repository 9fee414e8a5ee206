/**
 * Where the rig's signals land on a Firmata microcontroller. The nodes and drivers number pins as the
 * reference rig does on the Pi (BCM GPIO numbers: README "Wiring"); an Arduino Mega 2560 cannot take those
 * numbers as they are, because its D20/D21 are SDA/SCL (StandardFirmata switches I2C off when either
 * becomes an output) and D0/D1 carry the USB serial link. So the Firmata backend translates each rig pin
 * to a Mega pin on the double header (D22-D31), and the virtual board is wired by the same table.
 */
export type FirmataWiring = {
  /** Board, as named in the docs. */
  board: string;
  /** Rig pin (reference GPIO number) -> the board's pin number. */
  pins: Readonly<Record<number, number>>;
  /** The board's I2C pins (for the docs and the virtual board's capability report). */
  sda: number;
  scl: number;
};

export const MEGA_2560_WIRING: FirmataWiring = {
  board: 'Arduino Mega 2560 (StandardFirmata 2.5)',
  pins: {
    5: 22, // ch1 press pump
    6: 23, // ch1 press release valve
    12: 24, // ch2 press pump
    13: 25, // ch2 press release valve
    19: 26, // ch3 press pump
    23: 27, // ch3 press release valve
    16: 28, // oven heater SSR
    20: 29, // oven heater safety contactor
    21: 30, // vacuum pump relay
    24: 31, // vacuum switch (input)
    22: 32, // heartbeat to the hardware watchdog
  },
  sda: 20,
  scl: 21,
};

/** The board pin for a rig pin; an unmapped pin is a wiring error, named. */
export function boardPin(wiring: FirmataWiring, rigPin: number): number {
  const p = wiring.pins[rigPin];
  if (p === undefined)
    throw new Error(`rig pin ${rigPin} is not wired on the ${wiring.board} (devices/firmata-wiring.ts)`);
  return p;
}

/** The rig pin a board pin carries, if any. */
export function rigPin(wiring: FirmataWiring, board: number): number | undefined {
  for (const [rig, b] of Object.entries(wiring.pins)) if (b === board) return Number(rig);
  return undefined;
}
