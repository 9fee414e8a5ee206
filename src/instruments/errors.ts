/**
 * Every problem with an instrument file is an InstrumentFileError naming the file and where in it
 * (a byte offset in a binary file, a line in a text file), so a user can find and judge it.
 */
export class InstrumentFileError extends Error {
  override name = 'InstrumentFileError';
  constructor(
    readonly fileName: string,
    /** "byte 7070", "line 12", or null when the problem is the whole file. */
    readonly where: string | null,
    readonly problem: string,
  ) {
    super(`${fileName}${where === null ? '' : `, ${where}`}: ${problem}`);
  }
}
