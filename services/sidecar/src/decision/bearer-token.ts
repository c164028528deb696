/**
 * The token a request presents: `Authorization: Bearer <token>` (scheme case-insensitive), or
 * else the `access_token` cookie (FusionAuth's login cookie). Header names are lower-case.
 */
export function presentedToken(header: (name: string) => string | undefined): string | undefined {
  const authorization = header('authorization');
  if (authorization !== undefined) {
    const match = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
    if (match?.[1] !== undefined) return match[1];
  }
  const cookie = header('cookie');
  if (cookie !== undefined) {
    for (const part of cookie.split(';')) {
      const eq = part.indexOf('=');
      if (eq > 0 && part.slice(0, eq).trim() === 'access_token') {
        const value = part.slice(eq + 1).trim();
        if (value !== '') return value;
      }
    }
  }
  return undefined;
}
