/**
 * What an EC-Lab reader returns, binary or text alike: the columns of one run under the names EC-Lab's
 * text export prints (units after the slash, as in `time/s`, `Ewe/V`, `-Im(Z)/Ohm`), one value per
 * recorded point. Conventions are EC-Lab's here (mA, -Im(Z)); run.ts maps them to cellrig's.
 */
export type EcLabFormat = 'eclab-mpr' | 'eclab-mpt';

export type EcLabTable = {
  readonly fileName: string;
  readonly format: EcLabFormat;
  /** Technique as EC-Lab names it ("Modulo Bat", "Galvanostatic Cycling with Potential Limitation"), or null. */
  readonly technique: string | null;
  /**
   * When the acquisition started, on the instrument PC's wall clock (EC-Lab stores no time zone):
   * "YYYY-MM-DDTHH:MM:SS.sss", or null when the file does not say.
   */
  readonly acquisitionStart: string | null;
  readonly rowCount: number;
  /** Column name (EC-Lab's spelling) -> one value per row. Integers and flags are stored as numbers too. */
  readonly columns: ReadonlyMap<string, Float64Array>;
  /** Columns computed from stored ones the way EC-Lab's export does (see derived.ts). */
  readonly derived: readonly string[];
  /**
   * Rows read from a file that is still being written: a text export's last line without its line end
   * is left for the next read. Always true for a complete file.
   */
  readonly complete: boolean;
};

export function column(table: EcLabTable, ...names: string[]): Float64Array | null {
  for (const n of names) {
    const c = table.columns.get(n);
    if (c) return c;
  }
  return null;
}
