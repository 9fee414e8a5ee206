/** `cellrig sim cells` as a main(argv) of its own (argv after `sim cells`), for tests and scripts. */
import { main as sim } from './sim';

export { cellMeta, writeSimulatedCell } from './sim-cells-run';
export const main = (argv: string[]): Promise<number> => sim(['cells', ...argv]);
