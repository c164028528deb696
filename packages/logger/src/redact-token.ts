import { createHash } from 'node:crypto';

/**
 * A fingerprint of a high-entropy secret (a token, an API key) that is safe to log: the
 * first 6 hex digits of its SHA-256 and its length, e.g. `sha256:1f0c2a len:43`. Operators
 * can match log lines about the same token without the log ever holding it; 24 bits of a
 * hash reveal nothing usable of a 256-bit token. Not for passwords, which are guessable.
 */
export function redactToken(token: string): string {
  const digest = createHash('sha256').update(token, 'utf8').digest('hex');
  return `sha256:${digest.slice(0, 6)} len:${token.length}`;
}
