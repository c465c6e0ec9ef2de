/**
 * The least string greater than every string that starts with `prefix`, in code point order (the
 * order of SQLite's BINARY collation and of PostgreSQL's "C"): `id >= prefix AND id < end` is the
 * prefix as a range of an index. null when no such string exists (the prefix ends in U+10FFFF).
 */
export function idPrefixEnd(prefix: string): string | null {
  const points = [...prefix];
  while (points.length > 0) {
    const last = points.pop()!.codePointAt(0)!;
    if (last < 0x10ffff) {
      // Surrogate code points are not characters: the next one after U+D7FF is U+E000.
      const next = last === 0xd7ff ? 0xe000 : last + 1;
      return points.join("") + String.fromCodePoint(next);
    }
  }
  return null;
}
