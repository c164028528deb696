/**
 * `text` without its trailing '0' characters. A loop from the end, not `replace(/0+$/, '')`:
 * an unanchored `0+$` restarts at every zero of a run that a non-zero ends, so it costs
 * O(n²) on a long numeral like `1000…01`, which a caller controls.
 */
export function withoutTrailingZeros(text: string): string {
  let end = text.length;
  while (end > 0 && text.charCodeAt(end - 1) === 48) end--;
  return text.slice(0, end);
}
