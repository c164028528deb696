import { createPublicKey, type KeyObject } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import type { IdentityProviderConfig } from '@tessera/config';
import { TesseraError } from '@tessera/errors';
import { createLocalJWKSet, type JSONWebKeySet, type JWTPayload, jwtVerify } from 'jose';

/** Asymmetric algorithms an external identity provider may sign with; never `none`, never HMAC. */
const EXTERNAL_ALGORITHMS = [
  'RS256',
  'RS384',
  'RS512',
  'PS256',
  'PS384',
  'PS512',
  'ES256',
  'ES384',
  'ES512',
  'EdDSA',
];

type KeyResolver = Parameters<typeof jwtVerify>[1];

const RESOLVERS = new WeakMap<IdentityProviderConfig, KeyResolver>();

/**
 * The keys an identity provider's JWTs are verified with: its inline JWKS, its JWKS file, and
 * PEM keys by kid, merged. Built once per provider object, i.e. once per realm load: the file
 * is read then, not on every reconcile (a realm reload builds new provider objects).
 */
export function identityProviderKeys(
  provider: IdentityProviderConfig,
  realmSource: string,
): KeyResolver {
  let resolver = RESOLVERS.get(provider);
  if (resolver === undefined) {
    resolver = buildResolver(provider, realmSource);
    RESOLVERS.set(provider, resolver);
  }
  return resolver;
}

function buildResolver(provider: IdentityProviderConfig, realmSource: string): KeyResolver {
  const jwks: JSONWebKeySet = { keys: [] };
  if (provider.keys.jwks) jwks.keys.push(...(provider.keys.jwks.keys as JSONWebKeySet['keys']));
  if (provider.keys.jwksFile) {
    const file = isAbsolute(provider.keys.jwksFile)
      ? provider.keys.jwksFile
      : resolve(dirname(realmSource), provider.keys.jwksFile);
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as JSONWebKeySet;
    jwks.keys.push(...parsed.keys);
  }
  const pems = new Map<string, KeyObject>(
    Object.entries(provider.keys.pem ?? {}).map(([kid, pem]) => [kid, createPublicKey(pem)]),
  );
  const fromJwks = createLocalJWKSet(jwks);
  return async (header, token) => {
    const pem = header.kid === undefined ? undefined : pems.get(header.kid);
    if (pem !== undefined) return pem;
    return fromJwks(header, token);
  };
}

/**
 * Verifies an external JWT (FusionAuth reconcile): signature with the provider's keys, `exp`
 * (required: a JWT without it would sign in forever) and `nbf` with the tenant's tolerance,
 * `iss` and `aud` when the provider configures them, the unique identity claim present, and
 * the email's domain managed by the provider when it lists domains. Every failure is
 * UNAUTHENTICATED, as FusionAuth answers 401 for each of them.
 */
export async function verifyExternalJwt(
  token: string,
  provider: IdentityProviderConfig,
  keys: KeyResolver,
  options: { nowMs: number; clockToleranceSeconds: number; maxTokenLength: number },
): Promise<JWTPayload> {
  if (token.length === 0 || token.length > options.maxTokenLength) {
    throw new TesseraError('UNAUTHENTICATED', 'the external JWT is empty or too long', {
      field: 'encoded_jwt',
    });
  }
  let payload: JWTPayload;
  try {
    ({ payload } = await jwtVerify(token, keys, {
      algorithms: EXTERNAL_ALGORITHMS,
      clockTolerance: options.clockToleranceSeconds,
      currentDate: new Date(options.nowMs),
      requiredClaims: ['exp'],
      ...(provider.issuer === undefined ? {} : { issuer: provider.issuer }),
      ...(provider.audience === undefined ? {} : { audience: provider.audience }),
    }));
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'invalid';
    throw new TesseraError(
      'UNAUTHENTICATED',
      'the external JWT does not verify with the identity provider keys and claims',
      {
        field: 'encoded_jwt',
        metadata: { cause: code },
      },
    );
  }
  const identity = payload[provider.uniqueIdentityClaim];
  if (typeof identity !== 'string' || identity === '') {
    throw new TesseraError(
      'UNAUTHENTICATED',
      `the external JWT has no ${provider.uniqueIdentityClaim} claim`,
      {
        field: 'encoded_jwt',
      },
    );
  }
  if (provider.managedDomains.length > 0) {
    const email = externalEmail(payload, provider) ?? identity;
    if (!isManagedEmail(email, provider)) {
      throw new TesseraError(
        'UNAUTHENTICATED',
        'the email domain is not managed by the identity provider',
        {
          field: 'encoded_jwt',
        },
      );
    }
  }
  return payload;
}

/**
 * The email a verified external JWT vouches for: the identity itself when the provider's
 * unique identity claim is `email` (so another claim called email cannot vouch for it), else
 * the `email` claim; undefined when there is none.
 */
export function externalEmail(
  payload: JWTPayload,
  provider: IdentityProviderConfig,
): string | undefined {
  const email =
    provider.uniqueIdentityClaim === 'email'
      ? payload[provider.uniqueIdentityClaim]
      : payload.email;
  return typeof email === 'string' && email !== '' ? email : undefined;
}

/** Whether `email` is an address in one of the provider's managed domains. */
function isManagedEmail(email: string, provider: IdentityProviderConfig): boolean {
  const at = email.lastIndexOf('@');
  const domain = email.slice(at + 1).toLowerCase();
  return at > 0 && provider.managedDomains.some((d) => d.toLowerCase() === domain);
}

/**
 * Whether the provider may sign in the tenant's existing user that holds `email`, a user it
 * did not create: only for an email the JWT says is verified (`email_verified: true`) in a
 * domain the provider manages. Otherwise a second provider could take over another's users,
 * and their roles, by asserting their address.
 */
export function mayLinkByEmail(
  payload: JWTPayload,
  provider: IdentityProviderConfig,
  email: string,
): boolean {
  return (
    payload.email_verified === true &&
    provider.managedDomains.length > 0 &&
    isManagedEmail(email, provider)
  );
}
