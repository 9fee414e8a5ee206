/**
 * What a rig config node owns and shares with the nodes that use it: the board (opened on first use,
 * closed when the rig is), the rig's installation record (loaded when the rig starts: hardware limits and
 * each channel's installed load cell), and the rig's MQTT link (when a broker is configured). The last node out
 * does not close them; the config node's own close does, which Node-RED calls after its users'.
 */
import type { Node } from 'node-red';
import { openRigHardware, type RigHardware } from '../../devices/board';
import { Heartbeat } from '../../devices/heartbeat';
import type { RigInstallation } from '../../devices/rig-installation';
import { SIM_PINS } from '../../devices/sim/sim-rig';
import { simWatchdogRelay, type WatchdogRelay } from '../../devices/sim/watchdog-relay';
import { RigPublisher } from '../../services/rig-publisher';
import { systemd } from '../../services/systemd-notify';
import type { Clock } from '../../src/clock';
import { LoopHealth } from '../../src/control/loop-monitor';
import type { RigConfig } from '../../src/rig/config';

/** The simulated watchdog's timeout: the heartbeat's edges come every 250 ms while the loops are healthy. */
const WATCHDOG_TIMEOUT_MS = 1000;

/** The rig config node as its users see it: a runtime, or the reason there is none. */
export type RigConfigNode = Node<{ username?: string; password?: string }> & {
  runtime?: RigRuntime;
  configError?: string;
};

export type RigLink = {
  brokerUrl: string;
  username?: string;
  password?: string;
  /** Folder of the rig's telemetry journal. */
  journalDir: string;
  /** Where the publisher's alarms go (journal full, a seq lost for good, a failing disk). */
  onAlarm?: (message: string) => void;
};

export class RigRuntime {
  private hardwarePromise: Promise<RigHardware> | undefined;
  private publisherInstance: RigPublisher | undefined;
  private closed = false;
  /** Every control loop on this rig: the heartbeat goes out only while all are healthy. */
  readonly loops = new LoopHealth();
  private heartbeat: Heartbeat | undefined;
  /** The simulated rig's hardware watchdog relay (undefined on real hardware). */
  watchdogRelay: WatchdogRelay | undefined;

  constructor(
    readonly config: RigConfig,
    readonly clock: Clock,
    private readonly link: RigLink,
    /**
     * The rig's installation record: its hardware limits (every node's setpoints and limits are checked
     * against them) and each channel's installed load cell, die, pins and calibration.
     */
    readonly installation: RigInstallation,
  ) {}

  get rigId(): string {
    return this.config.rigId;
  }

  hardware(): Promise<RigHardware> {
    if (this.closed) return Promise.reject(new Error('rig is closed'));
    this.hardwarePromise ??= openRigHardware(this.config, this.clock).then((hw) => {
      this.startHeartbeat(hw);
      return hw;
    });
    // A failed open is retried on the next call rather than cached forever.
    this.hardwarePromise.catch(() => {
      this.hardwarePromise = undefined;
    });
    return this.hardwarePromise;
  }

  /** The rig's MQTT publisher, or undefined when no broker is configured. */
  publisher(): RigPublisher | undefined {
    if (this.closed || !this.link.brokerUrl) return undefined;
    if (this.publisherInstance) return this.publisherInstance;
    this.publisherInstance = new RigPublisher({
      url: this.link.brokerUrl,
      rigId: this.config.rigId,
      clock: this.clock,
      journalDir: this.link.journalDir,
      username: this.link.username,
      password: this.link.password,
    });
    this.publisherInstance.on('alarm', (message: string) => this.link.onAlarm?.(message));
    return this.publisherInstance;
  }

  /**
   * The heartbeat to the hardware watchdog, and to systemd's, while every control loop on this rig is
   * healthy. On the simulated rig a simulated watchdog relay is wired in series with the heater SSR and the
   * press pumps, so the heartbeat's absence cuts them there too.
   */
  private startHeartbeat(hw: RigHardware): void {
    if (this.closed) return;
    const pin = this.config.heartbeatPin ?? SIM_PINS.heartbeat;
    if (hw.sim) {
      this.watchdogRelay = simWatchdogRelay(this.clock, { timeoutMs: WATCHDOG_TIMEOUT_MS });
      hw.sim.attachWatchdog(pin, this.watchdogRelay);
    }
    this.heartbeat = new Heartbeat(hw.io, this.clock, {
      pin,
      healthy: () => this.loops.healthy,
      onBeat: () => systemd.watchdog(),
    });
    this.heartbeat.start();
  }

  async close(): Promise<void> {
    this.heartbeat?.stop();
    this.heartbeat = undefined;
    this.watchdogRelay?.dispose();
    this.watchdogRelay = undefined;
    this.closed = true;
    const hw = this.hardwarePromise;
    this.hardwarePromise = undefined;
    await this.publisherInstance?.close().catch(() => undefined);
    this.publisherInstance = undefined;
    if (hw) (await hw.catch(() => undefined))?.close();
  }
}
