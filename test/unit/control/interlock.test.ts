import { describe, expect, it } from 'vitest';
import { type ContactChange, RelayBankModel } from '../../../devices/sim/models/relays';
import { VirtualClock } from '../../../src/clock';
import type { ControlEvent } from '../../../src/control/events';
import { ChannelInterlock, type ChannelPath, type RelayBank } from '../../../src/control/interlock';
import { seededRandom } from '../../../src/random';

const CHANNELS = [
  { channel: 'ch1', cyclerRelay: 0, analyserRelay: 1 },
  { channel: 'ch2', cyclerRelay: 2, analyserRelay: 3 },
  { channel: 'ch3', cyclerRelay: 4, analyserRelay: 5 },
];
const ANALYSER = new Set([1, 3, 5]);

function rig() {
  const clock = new VirtualClock();
  const relays = new RelayBankModel(() => clock.now(), { count: 8, operateMs: 10, releaseMs: 5 }, true);
  const bank: RelayBank = {
    setCoils: async (coils) => {
      for (const [i, on] of coils.entries()) relays.setCoil(i, on);
    },
    readContacts: async () => Array.from({ length: relays.count }, (_, i) => relays.contact(i)),
  };
  const events: ControlEvent[] = [];
  const interlock = new ChannelInterlock(bank, clock, { channels: CHANNELS }, (e) => events.push(e));
  return { clock, relays, interlock, events };
}

/** Replays every contact change in time order (closings first on a tie: the worst case) and checks the rules. */
function sweep(log: ContactChange[]) {
  const closed = new Set<number>();
  let maxOnAnalyser = 0;
  let cyclerAndAnalyser = 0;
  const order = [...log].sort((a, b) => a.atMs - b.atMs || Number(b.closed) - Number(a.closed));
  for (const c of order) {
    if (c.closed) closed.add(c.relay);
    else closed.delete(c.relay);
    maxOnAnalyser = Math.max(maxOnAnalyser, [...closed].filter((r) => ANALYSER.has(r)).length);
    for (const ch of CHANNELS)
      if (closed.has(ch.cyclerRelay) && closed.has(ch.analyserRelay)) cyclerAndAnalyser++;
  }
  return { maxOnAnalyser, cyclerAndAnalyser, changes: order.length };
}

describe('relay-channel interlock', () => {
  it('never puts two cells on the analyser under 10,000 random requests, some of them concurrent', async () => {
    const { clock, relays, interlock } = rig();
    const random = seededRandom(2026);
    const paths: ChannelPath[] = ['off', 'cycler', 'analyser'];
    let analyserGrants = 0;
    let done = 0;
    for (let i = 0; i < 10_000; ) {
      // Bursts of up to 4 requests issued together, as from several flows at once.
      const burst = random.int(1, 4);
      const pending: Promise<unknown>[] = [];
      for (let k = 0; k < burst && i < 10_000; k++, i++) {
        const channel = CHANNELS[random.int(0, 2)]!.channel;
        const roll = random.next();
        if (roll < 0.02) pending.push(interlock.isolate(channel));
        else if (roll < 0.05) pending.push(interlock.restore(channel));
        else {
          const path = paths[random.int(0, 2)]!;
          pending.push(
            interlock.request(channel, path).then((r) => {
              if (r.ok && path === 'analyser') analyserGrants++;
            }),
          );
        }
      }
      const all = Promise.all(pending).then(() => {
        done += pending.length;
      });
      while (done < i) await clock.tick(random.int(1, 60));
      await all;
    }
    const s = sweep(relays.log);
    expect(done).toBe(10_000);
    expect(analyserGrants).toBeGreaterThan(1000);
    expect(s.changes).toBeGreaterThan(3000);
    expect(s.maxOnAnalyser).toBe(1);
    expect(s.cyclerAndAnalyser).toBe(0);
  });

  it('breaks before it makes: the old analyser contact is open before the new one closes', async () => {
    const { clock, relays, interlock } = rig();
    const a = interlock.request('ch1', 'analyser');
    await clock.tick(100);
    expect(await a).toMatchObject({ ok: true, state: 'analyser' });
    const b = interlock.request('ch2', 'analyser');
    await clock.tick(100);
    expect(await b).toMatchObject({ ok: true, state: 'analyser' });
    expect(interlock.state('ch1')).toBe('off');
    const open1 = relays.log.find((c) => c.relay === 1 && !c.closed)!;
    const close3 = relays.log.find((c) => c.relay === 3 && c.closed)!;
    expect(close3.atMs - open1.atMs).toBeGreaterThanOrEqual(20);
  });

  it('refuses to connect another cell past a welded analyser relay, with one alarm, however often asked', async () => {
    const { clock, relays, interlock, events } = rig();
    const a = interlock.request('ch1', 'analyser');
    await clock.tick(100);
    await a;
    relays.inject(1, 'welded');
    for (let i = 0; i < 5; i++) {
      const r = interlock.request(i % 2 ? 'ch3' : 'ch2', 'analyser');
      await clock.tick(100);
      expect(await r).toMatchObject({ ok: false });
    }
    expect(events.filter((e) => e.kind === 'alarm').map((e) => e.code)).toEqual(['relay-welded-1']);
    expect(interlock.state('ch1')).toBe('fault');
    expect(relays.contact(3)).toBe(false);
    expect(relays.contact(5)).toBe(false);
    expect(sweep(relays.log).maxOnAnalyser).toBe(1);
    // No coil left energised for a path that is not granted.
    expect(relays.coil(3) || relays.coil(5)).toBe(false);
  });

  it('isolates a faulted cell: both paths open, requests refused until restored', async () => {
    const { clock, relays, interlock } = rig();
    const a = interlock.request('ch2', 'cycler');
    await clock.tick(100);
    await a;
    const iso = interlock.isolate('ch2', 'soft short');
    await clock.tick(100);
    expect(await iso).toMatchObject({ ok: true, state: 'isolated' });
    expect(relays.contact(2) || relays.contact(3)).toBe(false);
    const r = interlock.request('ch2', 'analyser');
    await clock.tick(100);
    expect(await r).toMatchObject({ ok: false, reason: expect.stringMatching(/isolated/) });
    const back = interlock.restore('ch2');
    await clock.tick(100);
    expect(await back).toMatchObject({ ok: true, state: 'off' });
  });

  it('rejects a relay shared by two channels, naming the field', () => {
    const { clock } = rig();
    const bank: RelayBank = { setCoils: async () => undefined, readContacts: async () => [] };
    expect(
      () =>
        new ChannelInterlock(bank, clock, {
          channels: [
            { channel: 'a', cyclerRelay: 0, analyserRelay: 1 },
            { channel: 'b', cyclerRelay: 1, analyserRelay: 2 },
          ],
        }),
    ).toThrow(/one path only/);
  });
});
