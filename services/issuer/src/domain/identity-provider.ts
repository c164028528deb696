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
 * and `nbf` with the tenant's tolerance, the unique identity claim present, and the email's
 * domain managed by the provider when it lists domains. Every failure is UNAUTHENTICATED,
 * as FusionAuth answers 401 for each of them.
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
    }));
  } catch (error) {
    const code = (error as { code?: string }).code ?? 'invalid';
    throw new TesseraError(
      'UNAUTHENTICATED',
      'the external JWT does not verify with the identity provider keys',
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
    // The address checked is the one that identifies the user when the identity is the
    // email; another claim called email must not vouch for it.
    const email =
      provider.uniqueIdentityClaim === 'email'
        ? identity
        : typeof payload.email === 'string'
          ? payload.email
          : identity;
    const domain = email.slice(email.lastIndexOf('@') + 1).toLowerCase();
    if (!email.includes('@') || !provider.managedDomains.some((d) => d.toLowerCase() === domain)) {
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
