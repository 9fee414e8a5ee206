/**
 * The analysis worker threads' module (services/analysis-pool.ts): each export is one kind of job, run
 * off Node-RED's thread. Only plain data crosses: the job in, the result out.
 */
import { poolJob } from '../../services/analysis-pool';
import { cellHealthStep as step } from '../cell-health/step';
import { analyseSpectrum as analyse } from '../eis-analyze/analyse';

export const cellHealthStep = poolJob(step);
export const analyseSpectrum = poolJob(analyse);
