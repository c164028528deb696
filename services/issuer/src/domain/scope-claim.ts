/** True when a token's `scope` claim (space-separated string or array, or `scp`) holds `scope`. */
export function claimsGrantScope(
  claims: Readonly<Record<string, unknown>>,
  scope: string,
): boolean {
  const value = claims.scope ?? claims.scp;
  if (typeof value === 'string') return value.split(' ').includes(scope);
  if (Array.isArray(value)) return value.includes(scope);
  return false;
}
