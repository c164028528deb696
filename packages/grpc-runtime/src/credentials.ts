import type { Metadata } from '@grpc/grpc-js';

/** Credentials a caller presented, before anyone has checked them. */
export interface PresentedCredentials {
  readonly apiKey?: string;
  readonly bearer?: string;
}

// A header this large is an attack or a mistake, never a credential.
const MAX_CREDENTIAL_LENGTH = 8 * 1024;

/**
 * Reads the credentials of a call, in the shapes tessera's clients send:
 * - `authorization: Bearer <jwt>` → bearer;
 * - `authorization: Basic base64(user:KEY)` → apiKey = KEY (the password part; any user name,
 *   since clients put `apikey`, the tenant or nothing there);
 * - `authorization: <raw key>` → apiKey;
 * - `x-api-key: <key>` → apiKey, when `authorization` gave none.
 * Values over 8 KiB, empty values and undecodable Basic values are ignored.
 */
export function readCredentials(metadata: Metadata): PresentedCredentials {
  let apiKey: string | undefined;
  let bearer: string | undefined;
  const authorization = firstString(metadata, 'authorization');
  if (authorization !== undefined) {
    const space = authorization.search(/\s/);
    const scheme = (space === -1 ? authorization : authorization.slice(0, space)).toLowerCase();
    const rest = space === -1 ? '' : authorization.slice(space + 1).trim();
    if (scheme === 'bearer') {
      bearer = rest || undefined;
    } else if (scheme === 'basic') {
      apiKey = basicPassword(rest);
    } else {
      apiKey = authorization;
    }
  }
  apiKey ??= firstString(metadata, 'x-api-key');
  return { ...(apiKey ? { apiKey } : {}), ...(bearer ? { bearer } : {}) };
}

function firstString(metadata: Metadata, key: string): string | undefined {
  const value = metadata.get(key)[0];
  if (typeof value !== 'string' || value.length > MAX_CREDENTIAL_LENGTH) return undefined;
  const trimmed = value.trim();
  return trimmed === '' ? undefined : trimmed;
}

function basicPassword(encoded: string): string | undefined {
  if (!/^[A-Za-z0-9+/]+={0,2}$/.test(encoded)) return undefined;
  const decoded = Buffer.from(encoded, 'base64').toString('utf8');
  const colon = decoded.indexOf(':');
  if (colon === -1) return undefined;
  return decoded.slice(colon + 1) || undefined;
}
