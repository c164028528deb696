import { tenantKeyIds } from '@tessera/config';
import { issuerV1 } from '@tessera/contracts';
import { TesseraError } from '@tessera/errors';
import type { KeyringKey, KeyState } from '@tessera/jwt-core';
import { selectSigningKey } from '../domain/signing-key.js';
import { verificationProfileOf } from '../domain/verification-profile.js';
import type { IssuerSnapshot, IssuerState } from '../issuer-state.js';

const STATE_TO_PROTO: Record<KeyState, issuerV1.KeyState> = {
  next: issuerV1.KeyState.KEY_STATE_NEXT,
  current: issuerV1.KeyState.KEY_STATE_CURRENT,
  retired: issuerV1.KeyState.KEY_STATE_RETIRED,
};

/**
 * PEM public keys by kid (FusionAuth public-key API): every published key, one kid, or the
 * key that signs one application's tokens. HMAC keys are never published, so asking for one
 * is NOT_FOUND, exactly like an unknown kid.
 */
export function publicKeysOf(
  snapshot: IssuerSnapshot,
  selector: issuerV1.GetPublicKeysRequest['selector'],
): Record<string, string> {
  const { keyring, realm } = snapshot;
  let keys: readonly KeyringKey[];
  if (selector === undefined) {
    keys = keyring.published();
  } else if (selector.$case === 'keyId') {
    const key = keyring.get(selector.value);
    if (key?.publicPem === undefined) {
      throw new TesseraError('KEY_NOT_FOUND', `no public key ${selector.value}`, {
        field: 'key_id',
      });
    }
    keys = [key];
  } else {
    const application = realm.applications.get(selector.value);
    const tenant = application && realm.tenants.get(application.tenantId);
    if (application === undefined || tenant === undefined) {
      throw new TesseraError('APPLICATION_NOT_FOUND', `no application has id ${selector.value}`, {
        field: 'application_id',
      });
    }
    const key = selectSigningKey(keyring, tenant, { application });
    if (key.publicPem === undefined) {
      throw new TesseraError(
        'KEY_NOT_FOUND',
        'the application signs with an HMAC key, which has no public key',
        {
          field: 'application_id',
        },
      );
    }
    keys = [key];
  }
  return Object.fromEntries(
    keys.flatMap((key) => (key.publicPem ? [[key.kid, key.publicPem]] : [])),
  );
}

/** The published keys as a JWKS, optionally only one tenant's. */
export function jwksOf(
  snapshot: IssuerSnapshot,
  tenantId: string,
): { keys: Record<string, unknown>[] } {
  if (tenantId === '') return snapshot.keyring.jwks();
  const tenant = snapshot.realm.tenants.get(tenantId);
  if (tenant === undefined)
    throw new TesseraError('TENANT_NOT_FOUND', `no tenant has id ${tenantId}`, {
      field: 'tenant_id',
    });
  return snapshot.keyring.jwks(tenantKeyIds(tenant, snapshot.keyring));
}

/** The WatchKeys message for a snapshot: published keys and every tenant's profile. */
export function keySetMessage(snapshot: IssuerSnapshot): issuerV1.WatchKeysResponse {
  return {
    revision: BigInt(snapshot.revision),
    keys: snapshot.keyring.published().map((key) => ({
      keyId: key.kid,
      algorithm: key.alg,
      state: STATE_TO_PROTO[key.state],
      jwkJson: JSON.stringify(key.publicJwk),
      pem: key.publicPem ?? '',
    })),
    profiles: snapshot.realm.document.tenants.map((tenant) => {
      const profile = verificationProfileOf(tenant, snapshot.keyring);
      const published = new Set(snapshot.keyring.published().map((key) => key.kid));
      return {
        tenantId: profile.tenantId,
        issuer: profile.issuer,
        keyIds: profile.keyIds.filter((kid) => published.has(kid)),
        clockToleranceSeconds: profile.clockToleranceSeconds,
        audiences: [...profile.audiences],
      };
    }),
  };
}

/**
 * The WatchKeys stream: the key set now, then the new set after every reload, until the
 * caller goes away. Only the latest snapshot matters to a verifier, so a slow reader skips
 * intermediate revisions instead of queueing them.
 */
export async function* keySetEvents(
  state: IssuerState,
  signal: AbortSignal,
): AsyncGenerator<issuerV1.WatchKeysResponse> {
  let latest: IssuerSnapshot | undefined;
  let wake: (() => void) | undefined;
  const unsubscribe = state.subscribe((snapshot) => {
    latest = snapshot;
    wake?.();
  });
  const onAbort = () => wake?.();
  signal.addEventListener('abort', onAbort);
  try {
    let sent = state.current;
    yield keySetMessage(sent);
    while (!signal.aborted) {
      if (latest === undefined || latest === sent) {
        await new Promise<void>((resolve) => {
          wake = resolve;
        });
        wake = undefined;
        continue;
      }
      sent = latest;
      yield keySetMessage(sent);
    }
  } finally {
    unsubscribe();
    signal.removeEventListener('abort', onAbort);
  }
}
