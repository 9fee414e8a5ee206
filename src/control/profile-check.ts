/**
 * A temperature profile checked the way a researcher wants to hear about it: each problem as a plain
 * sentence that names the segment and says what is allowed ("Segment 2 (heat-treat): the ramp rate must
 * be more than 0 and at most 600 C per minute, or 'step'; got -3."), never a zod path and code. The checks
 * are the ones a run's start makes: the profile schema, then a dry start of a programmer with the node's
 * own settings, so whatever a start would refuse (a target at the over-temperature cutoff...) is refused
 * here in the same words.
 */
import type { z } from 'zod';
import {
  ProfileProgrammer,
  type profileProgrammerConfigSchema,
  type TemperatureProfile,
  temperatureProfileSchema,
} from './profile';
import { type ProfilePlan, planProfile } from './profile-plan';
import { READY_PROFILES } from './ready-profiles';

export type ProfileCheck =
  | { ok: true; profile: TemperatureProfile; plan: ProfilePlan }
  | { ok: false; problems: string[] };

/** What each segment field allows, as the end of a sentence. */
const SEGMENT_FIELDS: Record<string, string> = {
  name: 'needs a name of 1 to 80 characters',
  targetC: 'the target must be a temperature from 0 to 600 C',
  rampCPerMin: "the ramp rate must be more than 0 and at most 600 C per minute, or 'step'",
  holdS: 'the soak must be from 0 s to 30 days (2592000 s)',
  vacuum: 'vacuum must be true or false',
};

const PROFILE_FIELDS: Record<string, string> = {
  name: 'The profile needs a name of 1 to 120 characters.',
  description: 'The description is limited to 2000 characters.',
};

type Issue = { code: string; path: PropertyKey[]; message: string; input?: unknown };

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let v = root;
  for (const key of path) {
    if (v === null || typeof v !== 'object') return undefined;
    v = (v as Record<PropertyKey, unknown>)[key];
  }
  return v;
}

function shown(v: unknown): string {
  if (v === undefined) return 'nothing';
  if (typeof v === 'string') return JSON.stringify(v.length > 40 ? `${v.slice(0, 39)}…` : v);
  if (typeof v === 'number' || typeof v === 'boolean' || v === null) return String(v);
  return Array.isArray(v) ? 'a list' : 'an object';
}

function segmentLabel(input: unknown, index: number): string {
  const name = valueAt(input, ['segments', index, 'name']);
  return typeof name === 'string' && name.trim()
    ? `Segment ${index + 1} (${name.trim()})`
    : `Segment ${index + 1}`;
}

/** One plain sentence per problem the schema found in `input`, in the order of the profile. */
export function profileProblems(error: z.ZodError, input: unknown): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const add = (key: string, sentence: string) => {
    if (seen.has(key)) return;
    seen.add(key);
    out.push(sentence);
  };
  for (const issue of error.issues as Issue[]) {
    const [head, index, field] = issue.path;
    if (issue.path.length === 0) {
      add('(root)', 'A profile is an object with a name and a list of segments.');
    } else if (head === 'segments' && issue.path.length === 1) {
      const list = valueAt(input, ['segments']);
      add(
        'segments',
        !Array.isArray(list)
          ? 'The profile needs a list of segments.'
          : list.length === 0
            ? 'The profile needs at least one segment.'
            : 'A profile has at most 100 segments.',
      );
    } else if (head === 'segments' && typeof index === 'number' && issue.path.length === 2) {
      add(
        `segments.${index}`,
        `${segmentLabel(input, index)} is not a segment (an object with a name, target, ramp rate and soak).`,
      );
    } else if (head === 'segments' && typeof index === 'number' && typeof field === 'string') {
      const allowed = SEGMENT_FIELDS[field] ?? `${field}: ${issue.message}`;
      const got = valueAt(input, ['segments', index, field]);
      add(`segments.${index}.${field}`, `${segmentLabel(input, index)}: ${allowed}; got ${shown(got)}.`);
    } else if (typeof head === 'string' && PROFILE_FIELDS[head]) {
      add(head, PROFILE_FIELDS[head]!);
    } else {
      add(issue.path.join('.'), `${issue.path.join('.')}: ${issue.message}.`);
    }
  }
  return out;
}

/** A ready profile's name, a profile as JSON text, or a profile object, as the plain profile to check. */
function resolve(input: unknown): { value: unknown } | { problem: string } {
  if (typeof input !== 'string') return { value: input };
  const text = input.trim();
  if (READY_PROFILES[text]) return { value: READY_PROFILES[text] };
  if (text.startsWith('{')) {
    try {
      return { value: JSON.parse(text) as unknown };
    } catch (err) {
      return { problem: `The profile text is not valid JSON (${(err as Error).message}).` };
    }
  }
  return {
    problem: `'${text}' is not a ready profile (${Object.keys(READY_PROFILES).join(', ')}) nor a profile.`,
  };
}

/** A ready profile's name, JSON text or an object, parsed by the profile schema; problems in words. */
export function parseProfile(
  input: unknown,
): { success: true; data: TemperatureProfile } | { success: false; problems: string[] } {
  const resolved = resolve(input);
  if ('problem' in resolved) return { success: false, problems: [resolved.problem] };
  const parsed = temperatureProfileSchema.safeParse(resolved.value);
  return parsed.success
    ? { success: true, data: parsed.data }
    : { success: false, problems: profileProblems(parsed.error, resolved.value) };
}

/**
 * Checks a profile (a ready name, JSON text or an object) as a start with `programmer` settings would,
 * and plans it from `startTempC`. Never throws.
 */
export function checkProfile(
  input: unknown,
  programmer: z.input<typeof profileProgrammerConfigSchema> = {},
  startTempC = 25,
): ProfileCheck {
  const parsed = parseProfile(input);
  if (!parsed.success) return { ok: false, problems: parsed.problems };
  try {
    new ProfileProgrammer(programmer).start(parsed.data, { runId: 'check' }, 0);
  } catch (err) {
    const text = (err as Error).message;
    return { ok: false, problems: [`${text.charAt(0).toUpperCase()}${text.slice(1)}.`] };
  }
  return { ok: true, profile: parsed.data, plan: planProfile(parsed.data, startTempC) };
}
