/**
 * `panel-confirm` node: the live panel's "are you sure?" before a command reaches the rig. A command
 * (msg.payload, as an inject would send it) is held here and a question goes to a ui-notification with
 * Confirm and Cancel, shown only in the browser that asked; the notification's answer comes back in, and
 * only a confirmation of that same question, in time, sends the held command on, unchanged, to the node
 * that checks and runs it (thermal-profile, stack-pressure, cell-channels).
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { z } from 'zod';
import { confirmationFor } from '../../src/panel/command-words';
import { ConfirmGate } from '../../src/panel/confirm-gate';
import { clockFor, short, status, validateConfig } from '../shared/node-support';

const configSchema = z.object({
  device: z.enum(['oven', 'press', 'relays']),
  label: z.string().trim().min(1, 'say what the commands act on, e.g. "the drying oven"').max(80),
  timeoutS: z.coerce.number().min(5).max(600).default(30),
});

type Msg = NodeMessageInFlow & { confirmId?: unknown; _client?: unknown };
type Send = (msgs: (NodeMessageInFlow | null)[]) => void;
const ANSWERS: Record<string, 'confirm' | 'dismiss'> = {
  confirm_clicked: 'confirm',
  dismiss_clicked: 'dismiss',
};

export default function register(RED: NodeAPI): void {
  function PanelConfirmNode(this: Node, def: NodeDef & Record<string, unknown>) {
    RED.nodes.createNode(this, def);
    const cfg = validateConfig(
      this,
      configSchema,
      { device: def.device, label: def.label, timeoutS: def.timeoutS === '' ? undefined : def.timeoutS },
      `panel-confirm "${def.name || def.id}"`,
    );
    if (!cfg) return;
    const clock = clockFor(RED);
    const gate = new ConfirmGate(cfg.timeoutS * 1000, this.id);
    this.status(status.idle('ready'));

    this.on('input', (msg: Msg, send: Send, done: (err?: Error) => void) => {
      const answer = typeof msg.payload === 'string' ? ANSWERS[msg.payload] : undefined;
      if (answer) {
        // Answers to another gate's question pass by: one notification serves every gate.
        const r = gate.answer(msg.confirmId, answer, clock.now());
        if (r.sent) {
          send([null, { _msgid: '', topic: r.topic, payload: r.command } as NodeMessageInFlow]);
          this.status(status.ok(short(`sent: ${(r.command as { command: string }).command}`)));
        } else if (r.why !== 'not waiting') this.status(status.idle(`${r.why}: nothing sent`));
        return done();
      }
      if (typeof msg.payload === 'string') return done();
      const words = confirmationFor(cfg.device, msg.payload, cfg.label);
      if ('problem' in words) {
        this.status(status.warn(short(words.problem)));
        return done(new Error(`panel-confirm: ${words.problem}`));
      }
      const confirmId = gate.request(msg.payload, msg.topic, clock.now());
      send([
        {
          _msgid: '',
          payload: words.question,
          confirmId,
          // Shown only in the browser whose button asked, when the button says which one it was.
          ...(msg._client ? { _client: msg._client } : {}),
          ui_update: {
            allowConfirm: true,
            allowDismiss: true,
            confirmText: words.confirmText,
            dismissText: 'Cancel',
          },
        } as NodeMessageInFlow,
        null,
      ]);
      this.status(status.warn(short(`asking: ${words.question}`)));
      done();
    });
  }
  RED.nodes.registerType('panel-confirm', PanelConfirmNode);
}
