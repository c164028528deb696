import { isIP } from 'node:net';

/** Names `@fastify/proxy-addr` understands for whole address ranges. */
const RANGE_NAMES: ReadonlySet<string> = new Set(['loopback', 'linklocal', 'uniquelocal']);

/**
 * Whether `entry` is something fastify's `trustProxy` list takes: an IP address, an address
 * with a CIDR prefix length (`10.0.0.0/8`, `fd00::/8`), or one of the range names `loopback`,
 * `linklocal`, `uniquelocal`.
 */
export function isTrustedProxyEntry(entry: string): boolean {
  if (RANGE_NAMES.has(entry)) return true;
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  const version = isIP(address);
  if (version === 0) return false;
  if (slash === -1) return true;
  const bits = entry.slice(slash + 1);
  if (!/^\d{1,3}$/.test(bits)) return false;
  return Number(bits) <= (version === 4 ? 32 : 128);
}

/** A comma-separated list of trusted proxies, split and trimmed; empty entries dropped. */
export function splitTrustedProxies(text: string): string[] {
  return text
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
}

/**
 * When login cookies carry `Secure`: `auto` when the request came over HTTPS — directly, or
 * through a trusted proxy that says so in `X-Forwarded-Proto`; `always` behind a proxy that
 * terminates TLS without saying so; `never` for plain-HTTP development only.
 */
export type SecureCookies = 'auto' | 'always' | 'never';

/** Whether a cookie set in answer to `request` gets the `Secure` attribute. */
export function cookieIsSecure(
  mode: SecureCookies,
  request: { readonly protocol: string },
): boolean {
  if (mode === 'always') return true;
  if (mode === 'never') return false;
  // fastify reads X-Forwarded-Proto only when the peer is a trusted proxy (trustProxy).
  return request.protocol === 'https';
}
