/**
 * .NET's `char.IsWhiteSpace`, which differs from JavaScript's `String.prototype.trim`: .NET
 * counts U+0085 (next line) as white space and does not count U+FEFF (byte-order mark).
 * `TimeSpan.Parse` and `bool.TryParse` trim with it, so values must be trimmed the same way.
 */

/** U+0009–U+000D, then the space, line and paragraph separators of Unicode (Zs, Zl, Zp). */
const SINGLE_WHITE_SPACE = new Set([
  0x20, 0x85, 0xa0, 0x1680, 0x2028, 0x2029, 0x202f, 0x205f, 0x3000,
]);

/** True when .NET's `char.IsWhiteSpace` holds for the UTF-16 code unit `ch`. */
export function isDotnetWhiteSpace(ch: string): boolean {
  if (ch.length !== 1) return false;
  const code = ch.charCodeAt(0);
  return (
    (code >= 0x09 && code <= 0x0d) ||
    (code >= 0x2000 && code <= 0x200a) ||
    SINGLE_WHITE_SPACE.has(code)
  );
}

/** Removes the leading and trailing characters for which `strip` holds. */
function trimWhile(text: string, strip: (ch: string) => boolean): string {
  let start = 0;
  let end = text.length;
  while (start < end && strip(text.charAt(start))) start++;
  while (end > start && strip(text.charAt(end - 1))) end--;
  return text.slice(start, end);
}

/** `ReadOnlySpan<char>.Trim()`: strips .NET white space from both ends. */
export function trimDotnetWhiteSpace(text: string): string {
  return trimWhile(text, isDotnetWhiteSpace);
}

/** `bool.TryParse`'s trim: .NET white space and NUL characters from both ends. */
export function trimDotnetWhiteSpaceAndNull(text: string): string {
  return trimWhile(text, (ch) => ch === '\0' || isDotnetWhiteSpace(ch));
}
