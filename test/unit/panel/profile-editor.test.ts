import { describe, expect, it } from 'vitest';
import { checkProfile } from '../../../src/control/profile-check';
import { profileEditorView } from '../../../src/panel/profile-editor';

describe('panel profile editor', () => {
  it('shows a ready profile as its segments and plots its plan in hours', () => {
    const r = profileEditorView('tfaa-drying', (p) => checkProfile(p));
    expect(r.readout.ok).toBe(true);
    expect((r.readout.draft as { segments: unknown[] }).segments).toHaveLength(3);
    expect(r.readout.ready.map((p) => p.id)).toEqual(['tfaa-drying', 'step-series-50-200']);
    expect(r.points.at(-1)).toEqual({ series: 'plan', x: 32_100 / 3600, y: 40 });
  });

  it("gives the check's sentences and no plan for a bad draft", () => {
    const draft = { name: 'x', segments: [{ name: 'a', targetC: 700, rampCPerMin: 2, holdS: 60 }] };
    const r = profileEditorView(draft, (p) => checkProfile(p));
    expect(r.points).toEqual([]);
    expect(r.readout).toMatchObject({
      ok: false,
      draft,
      problems: ['Segment 1 (a): the target must be a temperature from 0 to 600 C; got 700.'],
    });
  });
});
