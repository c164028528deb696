import type { issuerV1 } from '@tessera/contracts';
import { readErrorDetails } from '@tessera/grpc-runtime';
import { randomApiKey } from '@tessera/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { addSingleMethodKey, claimsOf, type Stack, startStack } from '../support/stack.js';

const GENERATE_SCOPE = 'AuthenticationToken.Write';

let s: Stack;
/** A login front end's key: locked to tenant A, allowed StartSession and nothing else. */
const loginKey = randomApiKey();

beforeAll(async () => {
  s = await startStack();
  await addSingleMethodKey(s, {
    id: 'login-only',
    key: loginKey,
    method: 'tessera.issuer.v1.IssuerService/StartSession',
  });
});
afterAll(() => s?.close());

const startSession = (scopes: string[]) =>
  s.call<issuerV1.StartSessionRequest, issuerV1.StartSessionResponse>(
    s.issuerClient,
    'startSession',
    {
      tenantId: s.realm.tenantA,
      applicationId: s.realm.applicationA,
      userId: 'someone-the-directory-does-not-know',
      authenticationType: 'PASSWORD',
      presenter: undefined,
      device: undefined,
      requestId: '',
      scopes,
      dataJson: '',
    },
    loginKey,
  );

describe('review: StartSession scopes are caller claims that grant Generate', () => {
  it('review: a key allowed only StartSession cannot mint a Generate bearer through scopes', async () => {
    // The key itself may not call Generate.
    const direct = await s.fail(
      s.issuerClient,
      'generate',
      {
        tenantId: s.realm.tenantA,
        claimSets: [{ claims: [{ type: 'sub', value: 'anyone', valueType: '' }] }],
        validityDuration: '',
      } satisfies issuerV1.GenerateRequest,
      loginKey,
    );
    expect(direct.reason).toBe('PERMISSION_DENIED');

    // The attack: ask StartSession for the Generate scope, for a user nobody knows, then use
    // the session token as the Bearer of Generate to mint any subject with any roles.
    const attack = await startSession([GENERATE_SCOPE]).then(
      ({ token }) => token,
      (error: unknown) => readErrorDetails(error),
    );
    if (typeof attack === 'string') {
      // What happened before: the session token holds the scope and Generate accepts it.
      expect(claimsOf(attack).scope).toBe(GENERATE_SCOPE);
      const generated = await s
        .call<issuerV1.GenerateRequest, issuerV1.GenerateResponse>(
          s.issuerClient,
          'generate',
          {
            tenantId: s.realm.tenantA,
            claimSets: [
              {
                claims: [
                  { type: 'sub', value: 'victim', valueType: '' },
                  { type: 'roles', value: 'admin', valueType: '' },
                ],
              },
            ],
            validityDuration: '',
          },
          `Bearer ${attack}`,
        )
        .then(({ tokens }) => tokens);
      expect.fail(
        `StartSession granted the Generate scope; Generate then minted ${generated.length} token(s)`,
      );
    }
    expect(attack).toMatchObject({ reason: 'PERMISSION_DENIED', field: 'scopes' });
    // Other scopes stay the login server's to grant.
    const { token } = await startSession(['offline_access']);
    expect(claimsOf(token).scope).toBe('offline_access');
  });
});
