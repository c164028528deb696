/**
 * Whether a parsed JSON value nests deeper than `maximum` (a scalar has depth 0). Walks
 * iteratively: a body of a million brackets parses fine but would overflow the stack of any
 * recursive walk, `JSON.stringify` included.
 */
export function nestsDeeperThan(value: unknown, maximum: number): boolean {
  const pending: { value: unknown; depth: number }[] = [{ value, depth: 0 }];
  for (let item = pending.pop(); item !== undefined; item = pending.pop()) {
    if (item.value === null || typeof item.value !== 'object') continue;
    const depth = item.depth + 1;
    if (depth > maximum) return true;
    for (const child of Object.values(item.value)) pending.push({ value: child, depth });
  }
  return false;
}
