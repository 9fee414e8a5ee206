/**
 * Reads an impedance spectrum from an instrument export, detecting the format from the content (never
 * the file extension). Every format yields Hz, Ohm and the true sign of Im(Z); a malformed file throws a
 * SpectrumFileError naming the file, the line and the problem.
 */
import type { Spectrum } from '../spectrum';
import { autolabFormat, isAutolabTxt, readAutolabTxt } from './autolab-txt';
import { biologicMprFormat, readBiologicMpr } from './biologic-mpr';
import { biologicMptFormat, isBiologicMpt, readBiologicMpt } from './biologic-mpt';
import { gamryDtaFormat, isGamryDta, readGamryDta } from './gamry-dta';
import { isNeisysTxt, neisysFormat, readNeisysTxt } from './neisys-txt';
import { plainFormat, readPlain } from './plain';
import { decodeText, SpectrumFileError, splitLines } from './tokenizer';

export { SpectrumFileError } from './tokenizer';

type Reader = {
  readonly format: string;
  readonly detect: (lines: readonly string[]) => boolean;
  readonly read: (fileName: string, lines: readonly string[]) => Spectrum;
};

// Most specific first; plain CSV/TXT is the fallback.
const READERS: readonly Reader[] = [
  { format: biologicMptFormat, detect: isBiologicMpt, read: readBiologicMpt },
  { format: gamryDtaFormat, detect: isGamryDta, read: readGamryDta },
  { format: autolabFormat, detect: isAutolabTxt, read: readAutolabTxt },
  { format: neisysFormat, detect: isNeisysTxt, read: readNeisysTxt },
  { format: plainFormat, detect: () => true, read: readPlain },
];

const MPR_MAGIC = 'BIO-LOGIC MODULAR FILE';

export function parseSpectrumFile(fileName: string, content: Buffer): { format: string; spectrum: Spectrum } {
  if (content.length === 0) throw new SpectrumFileError(fileName, null, 'empty file');
  if (content.subarray(0, MPR_MAGIC.length).toString('latin1') === MPR_MAGIC) {
    return { format: biologicMprFormat, spectrum: readBiologicMpr(fileName, content) };
  }
  const isUtf16 = content[0] === 0xff && content[1] === 0xfe;
  if (!isUtf16 && content.includes(0)) {
    throw new SpectrumFileError(fileName, null, 'binary content: not a text export of an impedance spectrum');
  }
  const lines = splitLines(decodeText(content));
  for (const reader of READERS) {
    if (reader.detect(lines)) return { format: reader.format, spectrum: reader.read(fileName, lines) };
  }
  throw new SpectrumFileError(fileName, null, 'format not recognised');
}
