/**
 * File-name patterns as a user writes them ("*_C01.mpr, *_C01.mpt"): comma-separated globs where `*` is
 * any run of characters and `?` one character, matched against the whole name, case-insensitively
 * (Windows shares do not care about case).
 */
export function globToRegExp(globs: string): RegExp {
  const parts = globs
    .split(',')
    .map((g) => g.trim())
    .filter((g) => g !== '');
  if (parts.length === 0) throw new Error('no file pattern given');
  const one = (g: string) =>
    g
      .split('')
      .map((c) => (c === '*' ? '.*' : c === '?' ? '.' : c.replace(/[.+^${}()|[\]\\/]/g, '\\$&')))
      .join('');
  return new RegExp(`^(?:${parts.map(one).join('|')})$`, 'i');
}
