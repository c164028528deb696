import type { FastifyRequest } from 'fastify';

/** The credentials a FusionAuth-style request presented, before anyone checked them. */
export interface FusionAuthCredentials {
  /** The API key: raw `Authorization`, or the password of `Authorization: Basic`. */
  readonly apiKey?: string;
  /** A JWT: `Authorization: Bearer`, or the `access_token` cookie. */
  readonly jwt?: string;
}

const MAX_CREDENTIAL_LENGTH = 16 * 1024;

/**
 * Reads FusionAuth's credential shapes (README, REST gateway): the raw key in `Authorization`,
 * `Basic base64(apikey:KEY)`, `Bearer <jwt>`, or the `access_token` cookie. When both a key
 * and a cookie are present, the key wins (the JWT is then ignored).
 */
export function fusionAuthCredentials(request: FastifyRequest): FusionAuthCredentials {
  const header = request.headers.authorization;
  let apiKey: string | undefined;
  let jwt: string | undefined;
  if (typeof header === 'string' && header.length > 0 && header.length <= MAX_CREDENTIAL_LENGTH) {
    const space = header.indexOf(' ');
    const scheme = space === -1 ? '' : header.slice(0, space).toLowerCase();
    const rest = header.slice(space + 1).trim();
    if (scheme === 'bearer') jwt = rest || undefined;
    else if (scheme === 'basic') apiKey = basicPassword(rest);
    else apiKey = header.trim() || undefined;
  }
  if (apiKey !== undefined) return { apiKey };
  const cookie = request.cookies?.access_token;
  if (
    jwt === undefined &&
    typeof cookie === 'string' &&
    cookie.length > 0 &&
    cookie.length <= MAX_CREDENTIAL_LENGTH
  ) {
    jwt = cookie;
  }
  return jwt === undefined ? {} : { jwt };
}

function basicPassword(encoded: string): string | undefined {
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return decoded.slice(colon + 1) || undefined;
}

/**
 * A query parameter as FusionAuth's official client sends it: the literal strings `null` and
 * `undefined` (what the client makes of absent values) mean absent.
 */
export function presentParameter(value: unknown): string | undefined {
  if (typeof value !== 'string') return undefined;
  if (value === '' || value === 'null' || value === 'undefined') return undefined;
  return value;
}
