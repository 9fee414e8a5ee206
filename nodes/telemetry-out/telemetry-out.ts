/**
 * `telemetry-out` node: publishes each msg.payload as a sample on cellrig/v1/<rig>/<channel>/<stream>
 * (QoS 1), validated against its stream's schema and numbered with a per-stream `seq`.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { errorMessage, short, status } from '../shared/node-support';
import { rigOrReport } from '../shared/rig-ref';

type TelemetryOutDef = NodeDef & { rig: string; channel: string; stream: string };
type TelemetryMsg = NodeMessageInFlow & { channel?: unknown; stream?: unknown };

export default function register(RED: NodeAPI): void {
  function TelemetryOutNode(this: Node, def: TelemetryOutDef) {
    RED.nodes.createNode(this, def);
    const rig = rigOrReport(RED, this, def.rig);
    if (!rig) return;
    const publisher = rig.publisher();
    if (!publisher) {
      this.status(status.unavailable('no broker configured'));
    } else {
      this.status(publisher.connected ? status.ok('connected') : status.warn('connecting'));
      const onConnect = () => this.status(status.ok('connected'));
      const onOffline = () => this.status(status.warn('broker offline: queueing'));
      publisher.on('connect', onConnect);
      publisher.on('offline', onOffline);
      this.on('close', () => {
        publisher.off('connect', onConnect);
        publisher.off('offline', onOffline);
      });
    }
    let sent = 0;

    this.on('input', (msg: TelemetryMsg, _send: unknown, done: (err?: Error) => void) => {
      if (!publisher) {
        done();
        return;
      }
      // The node's own channel/stream win; msg.channel and msg.stream fill in what is left empty.
      const channel = def.channel || (typeof msg.channel === 'string' ? msg.channel : '');
      const stream = def.stream || (typeof msg.stream === 'string' ? msg.stream : '');
      const fields = msg.payload;
      if (!channel || !stream) {
        done(
          new Error(
            'telemetry-out: no channel or stream (set them on the node, or msg.channel and msg.stream)',
          ),
        );
        this.status(status.error('no channel or stream'));
        return;
      }
      if (typeof fields !== 'object' || fields === null || Array.isArray(fields)) {
        done(new Error('telemetry-out: msg.payload must be an object of sample fields'));
        this.status(status.error('payload is not an object'));
        return;
      }
      publisher.publish({ channel, stream, fields: fields as Record<string, unknown> }).then(
        (sample) => {
          sent++;
          this.status(
            publisher.connected
              ? status.ok(`${channel}/${stream} #${sample.seq} (${sent} sent)`)
              : status.warn(`broker offline: queued #${sample.seq}`),
          );
          done();
        },
        (err: unknown) => {
          this.status(status.error(short(errorMessage(err))));
          done(err instanceof Error ? err : new Error(String(err)));
        },
      );
    });
    this.on('close', (done: () => void) => {
      this.status({});
      done();
    });
  }
  RED.nodes.registerType('telemetry-out', TelemetryOutNode);
}
