/**
 * What the thermal-profile editor form asks the runtime: the ready profiles, and a draft profile checked
 * as a start with the form's cutoff would check it, with its plan drawn as an SVG preview. The form
 * keeps no copy of the rules.
 */
import type { NodeAPI } from 'node-red';
import { z } from 'zod';
import { checkProfile } from '../../src/control/profile-check';
import { READY_PROFILES } from '../../src/control/ready-profiles';
import { plotSvg } from '../../src/plot/svg';
import { REFERENCE_RIG } from '../../src/rig/hardware-limits';

const checkRequestSchema = z.object({
  profile: z.unknown(),
  overTempCutoffC: z.coerce.number().min(0).max(1000).catch(220),
});

type Res = { json(body: unknown): void };

export function registerEditorApi(RED: NodeAPI): void {
  const canRead = RED.auth.needsPermission('thermal-profile.read');
  RED.httpAdmin.get('/cellrig/thermal-profile/ready', canRead, (_req: unknown, res: Res) => {
    res.json(Object.entries(READY_PROFILES).map(([id, profile]) => ({ id, ...profile })));
  });
  RED.httpAdmin.post('/cellrig/thermal-profile/check', canRead, (req: { body?: unknown }, res: Res) => {
    const { profile, overTempCutoffC } = checkRequestSchema.parse(req.body ?? {});
    // The oven's ratings too, so the form refuses what a start on the rig would.
    const check = checkProfile(profile, { guard: { overTempCutoffC }, oven: REFERENCE_RIG.oven });
    if (!check.ok) return res.json(check);
    const { plan } = check;
    const svg = plotSvg(
      [
        {
          name: 'planned setpoint',
          x: plan.points.map((p) => p.tS / 3600),
          y: plan.points.map((p) => p.tempC),
          style: 'line',
        },
      ],
      { xLabel: 'time / h', yLabel: 'temperature / C', width: 520, height: 240 },
    );
    res.json({ ok: true, totalS: plan.totalS, segments: plan.segments, svg });
  });
}
