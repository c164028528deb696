import { commonV1, type issuerV1, type sessionV1 } from '@tessera/contracts';
import { readErrorDetails } from '@tessera/grpc-runtime';
import { randomApiKey } from '@tessera/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSingleMethodKey, claimsOf, type Stack, startStack } from '../support/stack.js';

const GENERATE_SCOPE = 'AuthenticationToken.Write';

let s: Stack;
/** A key allowed only the session service's Create, locked to tenant A. */
const createKey = randomApiKey();

beforeAll(async () => {
  s = await startStack();
  await addSingleMethodKey(s, {
    id: 'create-only',
    key: createKey,
    method: 'tessera.session.v1.SessionService/Create',
  });
});
afterAll(() => s?.close());

describe('review: session Create scopes reach access tokens through an anonymous refresh', () => {
  it('review: a key allowed only session Create cannot obtain a Generate bearer', async () => {
    const created = await s
      .call<sessionV1.CreateRequest, sessionV1.CreateResponse>(
        s.sessionClient,
        'create',
        {
          tenantId: s.realm.tenantA,
          applicationId: s.realm.applicationA,
          userId: 'anyone',
          policy: {
            expiration: commonV1.ExpirationPolicy.EXPIRATION_POLICY_FIXED,
            usage: commonV1.UsagePolicy.USAGE_POLICY_REUSABLE,
            timeToLiveMinutes: 60,
            maximumTimeToLiveMinutes: 0,
            gracePeriodSeconds: 0,
            revokeFamilyOnReuse: false,
          },
          device: undefined,
          scopes: [GENERATE_SCOPE],
          dataJson: '',
          sessionClaims: undefined,
          requestId: '',
          startInstant: 0n,
          presenter: undefined,
          sourceId: '',
        },
        createKey,
      )
      .then(
        (response) => response.refreshToken,
        (error: unknown) => readErrorDetails(error),
      );
    if (typeof created !== 'string') {
      // Refusing the scope at Create is one acceptable fix.
      expect(created).toMatchObject({ reason: 'PERMISSION_DENIED' });
      return;
    }
    // POST /api/jwt/refresh needs no key: the gateway refreshes with its own.
    const refreshed = await s.call<issuerV1.RefreshRequest, issuerV1.RefreshResponse>(
      s.issuerClient,
      'refresh',
      {
        tenantId: '',
        refreshToken: created,
        timeToLiveSeconds: 0,
        presenter: undefined,
        requestId: '',
      },
    );
    const scope = claimsOf(refreshed.token).scope;
    const generated = await s
      .call<issuerV1.GenerateRequest, issuerV1.GenerateResponse>(
        s.issuerClient,
        'generate',
        {
          tenantId: s.realm.tenantA,
          claimSets: [{ claims: [{ type: 'roles', value: 'admin', valueType: '' }] }],
          validityDuration: '',
        },
        `Bearer ${refreshed.token}`,
      )
      .then(
        () => 'accepted',
        () => 'refused',
      );
    expect({ scope, generated }).toEqual({ scope: undefined, generated: 'refused' });
  });
});
