import { GENERATE_SCOPE } from '@tessera/access';
import type { TenantConfig } from '@tessera/config';
import { TesseraError } from '@tessera/errors';

/**
 * Whether a verified bearer token may call Neostore's tokens/generate for `tenant`; throws
 * PERMISSION_DENIED when not. The token must:
 * - hold the Generate scope;
 * - not say that no user authenticated (`amr` with `none`): vended, generated and application
 *   tokens carry it, and their claims came from a caller, so they can never be credentials;
 * - carry the tenant's `neostore.bearerAudience` in `aud`, when the realm sets one, so only
 *   tokens minted to call Generate are accepted.
 */
export function authorizeGenerateBearer(
  claims: Readonly<Record<string, unknown>>,
  tenant: TenantConfig,
): void {
  if (!claimsGrantScope(claims, GENERATE_SCOPE)) {
    throw denied(`the bearer token lacks the ${GENERATE_SCOPE} scope`);
  }
  const amr = claims.amr;
  if (amr === 'none' || (Array.isArray(amr) && amr.includes('none'))) {
    throw denied('the bearer token was minted without a user (amr none) and is no credential');
  }
  const audience = tenant.neostore.bearerAudience;
  if (audience !== undefined && !audienceOf(claims).includes(audience)) {
    throw denied(`the bearer token is not meant for tokens/generate (aud lacks ${audience})`);
  }
}

/** True when a token's `scope` claim (space-separated string or array, or `scp`) holds `scope`. */
function claimsGrantScope(claims: Readonly<Record<string, unknown>>, scope: string): boolean {
  const value = claims.scope ?? claims.scp;
  if (typeof value === 'string') return value.split(' ').includes(scope);
  if (Array.isArray(value)) return value.includes(scope);
  return false;
}

function audienceOf(claims: Readonly<Record<string, unknown>>): readonly unknown[] {
  const aud = claims.aud;
  if (typeof aud === 'string') return [aud];
  return Array.isArray(aud) ? aud : [];
}

function denied(message: string): TesseraError {
  return new TesseraError('PERMISSION_DENIED', message);
}
