/**
 * Puts the virtual Firmata board on the board end of a pty pair: it opens that end with serialport (as
 * any serial device would be opened), powers the board on, and passes bytes both ways.
 */
import type { EventEmitter } from 'node:events';
import type { Clock } from '../../../src/clock';
import type { FirmataWiring } from '../../firmata-wiring';
import type { SimWorld } from '../sim-io';
import { VirtualFirmataBoard } from './virtual-board';

type Port = EventEmitter & { write(b: Buffer): boolean; close(cb?: () => void): void; isOpen: boolean };
type PortCtor = new (o: { path: string; baudRate: number }) => Port;

export type ServedBoard = {
  board: VirtualFirmataBoard;
  /** Closes the board's end of the line (the board stays powered: use board.powerOff() for an unplug). */
  close(): Promise<void>;
};

export async function serveVirtualBoard(
  boardPath: string,
  world: SimWorld,
  clock: Clock,
  wiring?: FirmataWiring,
): Promise<ServedBoard> {
  const { SerialPort } = require('serialport') as { SerialPort: PortCtor };
  const port = new SerialPort({ path: boardPath, baudRate: 57600 });
  await new Promise<void>((resolve, reject) => {
    port.once('open', () => resolve());
    port.once('error', reject);
  });
  // After the line goes (socat ended), writes fail: the board has no one to tell.
  port.on('error', () => undefined);
  const board = new VirtualFirmataBoard(
    world,
    clock,
    (bytes) => {
      if (port.isOpen) port.write(bytes);
    },
    wiring,
  );
  port.on('data', (b: Buffer) => board.receive(b));
  board.powerOn();
  return {
    board,
    close: () =>
      new Promise<void>((resolve) => {
        if (!port.isOpen) return resolve();
        port.close(() => resolve());
      }),
  };
}
