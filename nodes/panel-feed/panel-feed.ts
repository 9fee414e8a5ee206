/**
 * `panel-feed` node: shapes the rig's own messages for one chart and one readout of the live panel
 * (FlowFuse Dashboard): a channel's pressure and readout, the oven against its plan, the latest Nyquist
 * plot or DRT, the alert list, the profile editor. No second data path: it only listens to messages the
 * flow sends anyway and keeps what a panel opened later needs.
 */
import type { Node, NodeAPI, NodeDef, NodeMessageInFlow } from 'node-red';
import { z } from 'zod';
import type { ProfileCheck } from '../../src/control/profile-check';
import { idSchema } from '../../src/rig/config';
import { errorMessage, short, status, validateConfig } from '../shared/node-support';
import {
  alertsFeed,
  channelFeed,
  cyclingFeed,
  type Feed,
  impedanceFeed,
  ovenFeed,
  profileFeed,
} from './feeds';

const configSchema = z.discriminatedUnion('view', [
  z.object({ view: z.literal('channel'), channel: idSchema }),
  z.object({ view: z.literal('cycling'), quantity: z.enum(['voltage', 'current']) }),
  z.object({ view: z.enum(['oven', 'nyquist', 'drt', 'alerts']) }),
  z.object({ view: z.literal('profile'), oven: z.string().min(1, 'pick the thermal-profile node') }),
]);

/** What a thermal-profile node offers the profile editor: its own check of a draft. */
type ProfileOwner = Node & { checkProfile?: (profile: unknown) => ProfileCheck; profileSource?: unknown };
type Send = (msgs: (NodeMessageInFlow | null)[]) => void;

export default function register(RED: NodeAPI): void {
  function PanelFeedNode(this: Node, def: NodeDef & Record<string, unknown>) {
    RED.nodes.createNode(this, def);
    const cfg = validateConfig(
      this,
      configSchema,
      {
        view: def.view,
        channel: def.channel || undefined,
        oven: def.oven || undefined,
        quantity: def.quantity || undefined,
      },
      `panel-feed "${def.name || def.id}"`,
    );
    if (!cfg) return;
    const owner = () =>
      cfg.view === 'profile' ? (RED.nodes.getNode(cfg.oven) as ProfileOwner | null) : null;
    const checker = () =>
      owner()?.checkProfile ?? `oven node ${cfg.view === 'profile' ? cfg.oven : ''} not found`;
    const feed: Feed =
      cfg.view === 'channel'
        ? channelFeed(cfg.channel)
        : cfg.view === 'cycling'
          ? cyclingFeed(cfg.quantity)
          : cfg.view === 'oven'
            ? ovenFeed()
            : cfg.view === 'nyquist' || cfg.view === 'drt'
              ? impedanceFeed(cfg.view)
              : cfg.view === 'alerts'
                ? alertsFeed()
                : profileFeed(checker);
    this.status(
      status.idle(cfg.view === 'channel' ? cfg.channel : cfg.view === 'cycling' ? cfg.quantity : cfg.view),
    );

    const handle = (msg: NodeMessageInFlow, send: Send) => {
      const out = feed(msg as never);
      if (out[0] || out[1]) send(out as NodeMessageInFlow[]);
    };
    // The editor opens on the oven's configured profile.
    const initial = () => {
      const source = owner()?.profileSource;
      if (source !== undefined) handle({ _msgid: '', topic: 'check', payload: source }, (m) => this.send(m));
    };
    if (cfg.view === 'profile') RED.events.once('flows:started', initial);

    this.on('input', (msg: NodeMessageInFlow, send: Send, done: (err?: Error) => void) => {
      try {
        handle(msg, send);
        done();
      } catch (err) {
        this.status(status.error(short(errorMessage(err))));
        done(new Error(`panel-feed: ${errorMessage(err)}`));
      }
    });
    this.on('close', (done: () => void) => {
      RED.events.removeListener('flows:started', initial);
      done();
    });
  }
  RED.nodes.registerType('panel-feed', PanelFeedNode);
}
