/**
 * The virtual Firmata board on a real pty pair (socat), with the simulated rig behind it, for tests that
 * run the real serial path. On a VirtualClock, `tick` waits after each timer until nothing is in flight on
 * the line, so virtual time never runs ahead of the bytes (a 1 h hold runs in seconds, deterministically).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { FirmataLink } from '../../devices/firmata-link';
import { openPtyPair, type PtyPair } from '../../devices/sim/firmata/pty-pair';
import { type ServedBoard, serveVirtualBoard } from '../../devices/sim/firmata/serve';
import type { VirtualFirmataBoard } from '../../devices/sim/firmata/virtual-board';
import { SimRig } from '../../devices/sim/sim-rig';
import { type Clock, settleImmediate, VirtualClock } from '../../src/clock';

export type FirmataBench = {
  hostPath: string;
  sim: SimRig;
  readonly board: VirtualFirmataBoard;
  /** Tells the quiet-line wait which host link to watch (the rig's, once it is open). */
  watch(link: () => FirmataLink | undefined): void;
  /**
   * USB unplugged: the board loses power and the port vanishes. The host hears of it from a failed read or
   * a failed write, whichever the OS brings first (real I/O: the order varies from run to run).
   */
  unplug(): Promise<void>;
  /** Plugged back in: a new pty at the same path, the board powered on again. */
  replug(): Promise<void>;
  close(): Promise<void>;
};

/** The same simulated rig openRigHardware builds for `backend: sim` (load cells on every mux port). */
export async function startFirmataBench(clock: Clock, seed: number): Promise<FirmataBench> {
  const sim = new SimRig(clock, { seed, loadCellPorts: [0, 1, 2, 3, 4, 5, 6, 7] });
  const dir = mkdtempSync(join(tmpdir(), 'cellrig-pty-'));
  let pty: PtyPair = await openPtyPair(dir);
  let served: ServedBoard = await serveVirtualBoard(pty.boardPath, sim, clock);
  let link: () => FirmataLink | undefined = () => undefined;
  if (clock instanceof VirtualClock) clock.settle = () => quiet(link, () => served.board);
  return {
    hostPath: pty.hostPath,
    sim,
    get board() {
      return served.board;
    },
    watch: (l) => {
      link = l;
    },
    unplug: async () => {
      served.board.powerOff();
      await served.close();
      await pty.close();
    },
    replug: async () => {
      pty = await openPtyPair(dir);
      served = await serveVirtualBoard(pty.boardPath, sim, clock);
    },
    close: async () => {
      if (clock instanceof VirtualClock) clock.settle = settleImmediate;
      await served.close();
      await pty.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/**
 * Until every byte each side sent since the last handshake has been read by the other (capped at 5 s).
 * While bytes are in flight it sleeps until either end reads some (or 2 ms pass), rather than spinning
 * against socat for the CPU.
 */
async function quiet(link: () => FirmataLink | undefined, board: () => VirtualFirmataBoard): Promise<void> {
  const t0 = Date.now();
  let calm = 0;
  while (calm < 2 && Date.now() - t0 < 5000) {
    await settleImmediate();
    const l = link();
    const b = board();
    if (isQuiet(l, b)) {
      calm++;
      continue;
    }
    calm = 0;
    await new Promise<void>((resolve) => {
      const done = () => {
        clearTimeout(timer);
        l?.off('traffic', done);
        b.onTraffic = undefined;
        resolve();
      };
      const timer = setTimeout(done, 2);
      l?.once('traffic', done);
      b.onTraffic = done;
    });
  }
}

function isQuiet(l: FirmataLink | undefined, b: VirtualFirmataBoard): boolean {
  if (!l || l.state === 'lost' || l.state === 'closed') return true;
  if (l.state === 'connecting' || !l.handshake || !b.handshake) return false;
  return (
    l.bytesOut - b.bytesIn === l.handshake.bytesOut - b.handshake.bytesIn &&
    l.bytesIn - b.bytesOut === l.handshake.bytesIn - b.handshake.bytesOut
  );
}
