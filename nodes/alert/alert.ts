/**
 * `alert` node: turns cell-health output into alerts a person acts on. Per channel and kind: hysteresis,
 * latched until acknowledged (msg.topic "ack", payload {channel, kind?}), de-duplicated, rate limited.
 * Output 1: one msg per notification (topic = subject, payload = text) for any notifier (e-mail...).
 * Output 2: an isolate command for cell-channels when a critical alert is raised (if enabled).
 * Each state change is published, retained, on cellrig/v1/<rig>/<channel>/alert through the rig.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { z } from 'zod';
import {
  AlertBook,
  type AlertNotification,
  type AlertState,
  alertRuleSchema,
  alertStateSchema,
} from '../../src/health/alert-state';
import { channelAlertFields, conditionsFromHealth, healthPayloadSchema } from '../../src/health/conditions';
import { describeZodError } from '../../src/rig/config';
import { stateFile } from '../cell-health/state-file';
import { clockFor, errorMessage, short, status, validateConfig } from '../shared/node-support';
import { rigRuntime } from '../shared/rig-ref';

const configSchema = alertRuleSchema.extend({
  rig: z.string().default(''),
  rateLimitWindowS: z.coerce
    .number()
    .min(0)
    .max(7 * 24 * 3600)
    .default(3600),
  isolateOn: z.enum(['never', 'critical']).default('never'),
});
const ackSchema = z.object({ channel: z.string().min(1), kind: z.string().min(1).optional() });
type Send = (msgs: (NodeMessageInFlow | null)[]) => void;

export default function register(RED: NodeAPI): void {
  function AlertNode(this: Node, def: NodeDef & Record<string, unknown>) {
    RED.nodes.createNode(this, def);
    const cfg = validateConfig(this, configSchema, def, 'alert');
    if (!cfg) return;
    const clock = clockFor(RED);
    const rig = cfg.rig ? rigRuntime(RED, cfg.rig) : undefined;
    if (typeof rig === 'string') this.warn(`${rig}: alert states are not published`);
    const publisher = typeof rig === 'object' ? rig.publisher() : undefined;
    const store = stateFile(RED, `alert-${this.id}`, (m) => this.warn(m));
    const restored = z.array(alertStateSchema).safeParse(store.load());
    const book = new AlertBook(
      { ...cfg, rateLimitWindowMs: cfg.rateLimitWindowS * 1000 },
      restored.success ? restored.data : [],
    );
    const show = () => {
      const raised = book.snapshot().filter((s) => s.state !== 'normal');
      if (!raised.length) return this.status(status.ok('no alerts'));
      const text = short(raised.map((s) => `${s.channel} ${s.kind} ${s.state}`).join('; '));
      const unacked = raised.filter((s) => s.state === 'active' || s.state === 'latched');
      this.status(unacked.some((s) => s.severity === 'critical') ? status.error(text) : status.warn(text));
    };
    show();
    // The panel's alert list starts from the states this node kept across the restart.
    const sendAll = () => {
      for (const st of book.snapshot()) if (st.state !== 'normal') this.send([null, null, stateMsg(st)]);
    };
    RED.events.once('flows:started', sendAll);
    const publish = (changed: AlertState) => {
      this.send([null, null, stateMsg(changed)]);
      if (!publisher) return;
      const states = book.snapshot().filter((s) => s.channel === changed.channel);
      publisher
        .publishRetained({
          channel: changed.channel,
          stream: 'alert',
          fields: channelAlertFields(states, changed),
        })
        .catch((err: unknown) => this.warn(`alert publish: ${errorMessage(err)}`));
    };

    this.on('input', (msg: NodeMessageInFlow, send: Send, done: (err?: Error) => void) => {
      try {
        const now = clock.now();
        if (msg.topic === 'ack') {
          const ack = ackSchema.safeParse(msg.payload);
          if (!ack.success) return done(new Error(describeZodError(ack.error, 'alert ack payload')));
          for (const s of book.acknowledge(ack.data.channel, ack.data.kind, now)) publish(s);
        } else {
          const health = healthPayloadSchema.safeParse(msg.payload);
          if (!health.success)
            return done(new Error(describeZodError(health.error, 'alert: cell-health payload')));
          for (const condition of conditionsFromHealth(health.data)) {
            const u = book.update(condition, now);
            if (u.changed) publish(u.state);
            if (u.rateLimited)
              this.warn(`${condition.channel} ${condition.kind}: notification held back by the rate limit`);
            if (u.notification)
              send([notificationMsg(u.notification), isolateMsg(cfg.isolateOn, u.notification)]);
          }
        }
        store.save(book.snapshot());
        show();
        done();
      } catch (err) {
        done(new Error(`alert: ${errorMessage(err)}`));
      }
    });
    this.on('close', (_removed: boolean, done: () => void) => {
      RED.events.removeListener('flows:started', sendAll);
      store.save(book.snapshot());
      this.status({});
      done();
    });
  }
  RED.nodes.registerType('alert', AlertNode);
}

function notificationMsg(n: AlertNotification): NodeMessageInFlow {
  const held = n.suppressedBefore
    ? ` (${n.suppressedBefore} earlier notification(s) held back by the rate limit)`
    : '';
  return {
    _msgid: '',
    topic: `cellrig ${n.severity}: ${n.channel} ${n.kind}`,
    payload: `${n.message}${held}\n\nEvidence:\n${JSON.stringify(n.evidence ?? null, null, 2)}`,
    alert: n,
  } as NodeMessageInFlow;
}

/** One alert's state (output 3), for a live list: the panel's, or anything that shows raised alerts. */
function stateMsg(s: AlertState): NodeMessageInFlow {
  const { channel, kind, state, severity, message, cycle, sinceMs, changedMs } = s;
  return {
    _msgid: '',
    topic: `${channel}/alert-state`,
    channel,
    payload: { channel, kind, state, severity, message, cycle, sinceMs, changedMs },
  } as NodeMessageInFlow;
}

function isolateMsg(isolateOn: 'never' | 'critical', n: AlertNotification): NodeMessageInFlow | null {
  if (isolateOn !== 'critical' || n.severity !== 'critical') return null;
  return {
    _msgid: '',
    topic: 'isolate',
    channel: n.channel,
    payload: { command: 'isolate', channel: n.channel, reason: n.message.slice(0, 200) },
  } as NodeMessageInFlow;
}
