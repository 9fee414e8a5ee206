import { describe, expect, it } from 'vitest';
import { ProfileProgrammer } from '../../../src/control/profile';
import { checkProfile } from '../../../src/control/profile-check';
import { TFAA_DRYING } from '../../../src/control/ready-profiles';
import { seededRandom } from '../../../src/random';

const good = () =>
  structuredClone(TFAA_DRYING) as unknown as Record<string, unknown> & {
    segments: Record<string, unknown>[];
  };

describe('profile check in plain words', () => {
  it('accepts a ready profile by name, as JSON text and as an object, and plans it', () => {
    for (const input of ['tfaa-drying', JSON.stringify(TFAA_DRYING), TFAA_DRYING]) {
      const c = checkProfile(input);
      expect(c.ok).toBe(true);
      if (c.ok) expect(c.plan.totalS).toBe(32_100);
    }
  });

  it('names the segment, says what is allowed and what it got', () => {
    const p = good();
    p.segments[1]!.rampCPerMin = -3;
    p.segments[2]!.holdS = 'long';
    delete p.segments[0]!.targetC;
    expect(checkProfile(p)).toEqual({
      ok: false,
      problems: [
        'Segment 1 (dry): the target must be a temperature from 0 to 600 C; got nothing.',
        "Segment 2 (heat-treat): the ramp rate must be more than 0 and at most 600 C per minute, or 'step'; got -3.",
        'Segment 3 (cool): the soak must be from 0 s to 30 days (2592000 s); got "long".',
      ],
    });
  });

  it('says what is wrong with the profile as a whole', () => {
    expect(checkProfile({ name: 'x', segments: [] })).toEqual({
      ok: false,
      problems: ['The profile needs at least one segment.'],
    });
    expect(checkProfile({ segments: 'none' })).toEqual({
      ok: false,
      problems: ['The profile needs a name of 1 to 120 characters.', 'The profile needs a list of segments.'],
    });
    expect(checkProfile(42)).toEqual({
      ok: false,
      problems: ['A profile is an object with a name and a list of segments.'],
    });
    expect(checkProfile('tfaa')).toEqual({
      ok: false,
      problems: ["'tfaa' is not a ready profile (tfaa-drying, step-series-50-200) nor a profile."],
    });
    const notJson = checkProfile('{"name": "x",');
    expect(notJson.ok).toBe(false);
    if (!notJson.ok) expect(notJson.problems[0]).toMatch(/^The profile text is not valid JSON/);
  });

  it("refuses what the programmer's start refuses with the node's settings: a target at the cutoff", () => {
    const p = good();
    p.segments[1]!.targetC = 199.5;
    expect(checkProfile(p, { guard: { overTempCutoffC: 200 } })).toEqual({
      ok: false,
      problems: ["Segment 'heat-treat' targets 199.5 C, at the 200 C cutoff."],
    });
    expect(checkProfile(p).ok).toBe(true);
  });

  // Adversarial: random damage to a good profile. Whatever the input, the check never throws, agrees
  // with a real start (ok exactly when start accepts), and speaks in sentences without zod's jargon.
  it('agrees with a real start on 1000 randomly damaged profiles and never shows zod jargon', () => {
    const random = seededRandom(11);
    const rnd = () => random.next();
    const junk: unknown[] = [-1, 0, 1e9, Number.NaN, '', 'step', '12', null, true, [], {}, 'x'.repeat(200)];
    const fields = ['name', 'targetC', 'rampCPerMin', 'holdS', 'vacuum', 'extra'];
    let refused = 0;
    for (let n = 0; n < 1000; n++) {
      const p = good();
      for (let k = 0; k < 1 + Math.floor(rnd() * 3); k++) {
        const r = rnd();
        if (r < 0.1) p.segments = p.segments.slice(0, Math.floor(rnd() * 3));
        else if (r < 0.15) p.name = junk[Math.floor(rnd() * junk.length)];
        else {
          const seg = p.segments[Math.floor(rnd() * p.segments.length)];
          if (!seg) continue;
          const field = fields[Math.floor(rnd() * fields.length)]!;
          if (rnd() < 0.3) delete seg[field];
          else seg[field] = junk[Math.floor(rnd() * junk.length)];
        }
      }
      const c = checkProfile(p);
      let started = true;
      try {
        new ProfileProgrammer().start(p as never, { runId: 'x' }, 0);
      } catch {
        started = false;
      }
      expect(c.ok).toBe(started);
      if (!c.ok) {
        refused++;
        expect(c.problems.length).toBeGreaterThan(0);
        for (const text of c.problems) {
          expect(text).toMatch(/^(Segment \d+|The profile|A profile)/);
          expect(text).toMatch(/\.$/);
          expect(text).not.toMatch(/Invalid input|received|expected|too_small|too_big|invalid_/);
        }
      }
    }
    expect(refused).toBeGreaterThan(500);
  });
});
