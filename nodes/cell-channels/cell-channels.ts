/**
 * `cell-channels` node: switches the rig's cells between their cyclers and the impedance analyser on the
 * MCP23017 relay board, through the interlock (break-before-make with contact read-back, one cell on the
 * analyser at a time, welded relays caught, faulted cells isolated). All relays open at deploy and on close.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { z } from 'zod';
import { Mcp23017RelayBoard } from '../../devices/mcp23017';
import { type ControlEvent, eventFields } from '../../src/control/events';
import { ChannelInterlock, interlockConfigSchema, type SwitchResult } from '../../src/control/interlock';
import { describeZodError, idSchema } from '../../src/rig/config';
import { errorMessage, short, status, validateConfig } from '../shared/node-support';
import { rigOrReport } from '../shared/rig-ref';

type Def = NodeDef & { rig: string; channels?: string; contactTimeMs?: string | number };

/** "ch1:0:1, ch2:2:3" = channel:cyclerRelay:analyserRelay. */
const channelsTextSchema = z
  .string()
  .trim()
  .default('ch1:0:1, ch2:2:3, ch3:4:5')
  .transform((text) =>
    text
      .split(/[,\n]+/)
      .map((s) => s.trim())
      .filter(Boolean)
      .map((s) => {
        const [channel, cyclerRelay, analyserRelay] = s.split(':').map((x) => x.trim());
        return { channel, cyclerRelay: Number(cyclerRelay), analyserRelay: Number(analyserRelay) };
      }),
  );

const configSchema = z.object({
  channels: channelsTextSchema.pipe(interlockConfigSchema.shape.channels),
  contactTimeMs: z.preprocess(
    (v) => (v === '' ? undefined : v),
    z.coerce.number().int().min(1).max(5000).default(25),
  ),
});

const commandSchema = z.discriminatedUnion('command', [
  z.object({
    command: z.literal('connect'),
    channel: idSchema,
    to: z.enum(['cycler', 'analyser']).default('cycler'),
  }),
  z.object({ command: z.literal('disconnect'), channel: idSchema }),
  z.object({ command: z.literal('isolate'), channel: idSchema, reason: z.string().max(200).optional() }),
  z.object({ command: z.literal('restore'), channel: idSchema }),
]);

export default function register(RED: NodeAPI): void {
  function CellChannelsNode(this: Node, def: Def) {
    RED.nodes.createNode(this, def);
    const what = `cell-channels "${def.name || def.id}"`;
    const config = validateConfig(
      this,
      configSchema,
      { channels: def.channels || undefined, contactTimeMs: def.contactTimeMs },
      what,
    );
    if (!config) return;
    const rig = rigOrReport(RED, this, def.rig);
    if (!rig) return;
    const clock = rig.clock;
    let interlock: ChannelInterlock | undefined;
    let board: Mcp23017RelayBoard | undefined;
    let closed = false;
    const pendingEvents: ControlEvent[] = [];

    const sendEvent = (e: ControlEvent): void => {
      if (closed) return;
      this.send([
        null,
        {
          topic: `${rig.rigId}/relays/events`,
          channel: 'relays',
          stream: 'events',
          payload: { ts: clock.now(), ...eventFields(e) },
        },
      ]);
      if (e.kind === 'alarm') this.status(status.error(short(e.message)));
    };

    const report = (result?: SwitchResult): void => {
      if (!interlock || closed) return;
      const states = Object.fromEntries(
        config.channels.map((c) => [c.channel, interlock!.state(c.channel) ?? 'off']),
      );
      const onAnalyser = interlock.onAnalyser ?? '';
      const ts = clock.now();
      // One `relay` sample per channel (the Rig dashboard's per-channel timeline), then the summary.
      const perChannel = Object.entries(states).map(([channel, state]) => ({
        topic: `${rig.rigId}/${channel}/relay`,
        channel,
        stream: 'relay',
        payload: { ts, state },
      }));
      this.send([
        [
          ...perChannel,
          {
            topic: `${rig.rigId}/relays/relays`,
            channel: 'relays',
            stream: 'relays',
            payload: { ts, ...states, analyser: onAnalyser },
          },
        ],
        null,
      ]);
      const bad = Object.entries(states).filter(([, s]) => s === 'fault' || s === 'isolated');
      const text = `analyser: ${onAnalyser || 'none'}${bad.length ? `; ${bad.map(([c, s]) => `${c} ${s}`).join(', ')}` : ''}`;
      if (result && !result.ok) this.status(status.error(short(result.reason)));
      else this.status(bad.some(([, s]) => s === 'fault') ? status.error(short(text)) : status.ok(text));
    };

    const ready: Promise<ChannelInterlock | undefined> = rig.hardware().then(
      async (hw) => {
        board = new Mcp23017RelayBoard(hw.bus, 'relay board', undefined, hw.io);
        const il = new ChannelInterlock(
          board,
          clock,
          { channels: config.channels, contactTimeMs: config.contactTimeMs },
          (e) => (interlock ? sendEvent(e) : pendingEvents.push(e)),
        );
        await il.allOff();
        interlock = il;
        for (const e of pendingEvents.splice(0)) sendEvent(e);
        report();
        return il;
      },
      (err: unknown) => {
        if (!closed) this.status(status.unavailable(short(`not available: ${errorMessage(err)}`)));
        return undefined;
      },
    );
    this.status(status.idle('starting'));

    this.on('input', (msg: NodeMessageInFlow, _send: unknown, done: (err?: Error) => void) => {
      const cmd = commandSchema.safeParse(msg.payload);
      if (!cmd.success) {
        const why = describeZodError(cmd.error, `${what} msg.payload`);
        this.status(status.error(short(why)));
        done(new Error(why));
        return;
      }
      ready
        .then(async (il) => {
          if (!il) throw new Error('relay board not available');
          const c = cmd.data;
          const result =
            c.command === 'connect'
              ? await il.request(c.channel, c.to)
              : c.command === 'disconnect'
                ? await il.request(c.channel, 'off')
                : c.command === 'isolate'
                  ? await il.isolate(c.channel, c.reason)
                  : await il.restore(c.channel);
          report(result);
          done();
        })
        .catch((err: unknown) => {
          this.status(status.unavailable(short(errorMessage(err))));
          done(err as Error);
        });
    });
    this.on('close', (done: () => void) => {
      closed = true;
      // Every relay open: no cell left on a cycler or the analyser by a stopped flow. The direct write comes
      // first, because the rig's board may close before a queued transaction runs.
      board?.releaseAllNow();
      (interlock ? interlock.allOff() : Promise.resolve()).then(
        () => done(),
        () => done(),
      );
      this.status({});
    });
  }
  RED.nodes.registerType('cell-channels', CellChannelsNode);
}
