/**
 * Service-to-service authentication: every tessera service checks the API key of each call
 * itself against the realm (README, Security model), with FusionAuth's endpoint-permission vocabulary.
 */
import type { Metadata } from '@grpc/grpc-js';
import { type ApiKey, hashApiKey, type Realm } from '@tessera/config';
import { TesseraError } from '@tessera/errors';
import { readCredentials } from '@tessera/grpc-runtime';

/**
 * The realm's API key presented in the call's metadata (`authorization` raw or Basic, or
 * `x-api-key`), looked up by its SHA-256: the only form the realm keeps. Undefined when the
 * call carries no API key; UNAUTHENTICATED when it carries one the realm does not know.
 */
export function findPresentedApiKey(realm: Realm, metadata: Metadata): ApiKey | undefined {
  const { apiKey } = readCredentials(metadata);
  if (apiKey === undefined) return undefined;
  const known = knownKeys(realm);
  let key = known.get(apiKey);
  if (key === undefined) {
    key = realm.apiKeysByHash.get(hashApiKey(apiKey));
    if (key === undefined) throw new TesseraError('UNAUTHENTICATED', 'unknown API key');
    // Only keys of the realm are remembered, so the map is bounded by the realm's size and
    // a flood of made-up keys cannot grow it.
    known.set(apiKey, key);
  }
  return key;
}

/** Presented keys already matched against a realm, so each is hashed once per realm. */
const KNOWN_KEYS = new WeakMap<Realm, Map<string, ApiKey>>();

function knownKeys(realm: Realm): Map<string, ApiKey> {
  let known = KNOWN_KEYS.get(realm);
  if (known === undefined) {
    known = new Map();
    KNOWN_KEYS.set(realm, known);
  }
  return known;
}

/**
 * Whether a key may call an endpoint: a key without endpoint permissions may call every
 * endpoint (FusionAuth semantics); otherwise the gRPC method itself (`CALL`) or its HTTP
 * equivalent (path + method) must be listed.
 */
export function keyAllows(
  key: ApiKey,
  grpcMethod: string,
  httpEquivalent?: { readonly path: string; readonly method: string },
): boolean {
  const permissions = key.permissions;
  if (Object.keys(permissions).length === 0) return true;
  if (permissions[grpcMethod]?.includes('CALL')) return true;
  if (httpEquivalent === undefined) return false;
  const methods: readonly string[] | undefined = permissions[httpEquivalent.path];
  return methods?.includes(httpEquivalent.method) ?? false;
}
