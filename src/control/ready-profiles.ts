/**
 * Profiles that ship with cellrig, as data validated by the same schema as a user's file. Hold times are
 * this rig's defaults for the reference study's procedure; a lab changes them in its own profile file.
 */
import { type TemperatureProfile, temperatureProfileSchema } from './profile';

/** TFAA-coated NMC811 (2 wt%): drive off the solvent at 100 C, then heat-treat at 160 C under vacuum. */
export const TFAA_DRYING: TemperatureProfile = temperatureProfileSchema.parse({
  name: 'TFAA drying',
  description: 'Dry 2 wt% TFAA-coated NMC811 at 100 C, heat-treat at 160 C under vacuum, cool under vacuum.',
  segments: [
    { name: 'dry', targetC: 100, rampCPerMin: 3, holdS: 2 * 3600 },
    { name: 'heat-treat', targetC: 160, rampCPerMin: 2, holdS: 4 * 3600, vacuum: true },
    { name: 'cool', targetC: 40, rampCPerMin: 1, holdS: 0, vacuum: true },
  ],
});

/** Heat treatments from 50 to 200 C in 25 C steps, an hour at each. */
export const STEP_SERIES_50_200: TemperatureProfile = temperatureProfileSchema.parse({
  name: '50-200 C step series',
  description: 'Setpoint steps of 25 C from 50 to 200 C, one hour inside the band at each.',
  segments: [50, 75, 100, 125, 150, 175, 200].map((targetC) => ({
    name: `${targetC} C`,
    targetC,
    rampCPerMin: 'step' as const,
    holdS: 3600,
  })),
});

export const READY_PROFILES: Record<string, TemperatureProfile> = {
  'tfaa-drying': TFAA_DRYING,
  'step-series-50-200': STEP_SERIES_50_200,
};
