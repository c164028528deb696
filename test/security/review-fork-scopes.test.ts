import { readFileSync } from 'node:fs';
import type { issuerV1 } from '@tessera/contracts';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../gateway/support-fusionauth.js';
import { claimsOf, type Stack, startStack } from '../support/stack.js';

const GENERATE_SCOPE = 'AuthenticationToken.Write';

let s: Stack;
beforeAll(async () => {
  s = await startStack();
  // Tenant A accepts as Generate bearers only tokens meant for application A2.
  const yaml = readFileSync(s.realm.realmFile, 'utf8');
  s.realm.writeRealm(
    yaml.replace(
      '    issuer: https://a.example\n',
      `    issuer: https://a.example\n    neostore: { bearerAudience: ${s.realm.applicationA2} }\n`,
    ),
  );
  expect(await s.issuer.state.reload()).toBe(true);
});
afterAll(() => s?.close());

const generateAs = (bearer: string) =>
  s
    .call<issuerV1.GenerateRequest, issuerV1.GenerateResponse>(
      s.issuerClient,
      'generate',
      {
        tenantId: s.realm.tenantA,
        claimSets: [{ claims: [{ type: 'sub', value: 'anyone', valueType: '' }] }],
        validityDuration: '',
      },
      `Bearer ${bearer}`,
    )
    .then(
      () => 'accepted',
      () => 'refused',
    );

describe('review: a fork carries its source session’s scopes into another application', () => {
  it('review: a session scoped for application A does not become a Generate bearer for A2 through /api/jwt/issue', async () => {
    const userId = await createUser(s, {
      applicationIds: [s.realm.applicationA, s.realm.applicationA2],
    });
    // The login server grants the scope to the user's session of application A only.
    const source = await s.call<issuerV1.StartSessionRequest, issuerV1.StartSessionResponse>(
      s.issuerClient,
      'startSession',
      {
        tenantId: s.realm.tenantA,
        applicationId: s.realm.applicationA,
        userId,
        authenticationType: 'PASSWORD',
        presenter: undefined,
        device: undefined,
        requestId: '',
        scopes: [GENERATE_SCOPE],
        dataJson: '',
      },
    );
    expect(await generateAs(source.token)).toBe('refused');

    // GET /api/jwt/issue?applicationId=A2 with the session's refresh token: a fork for A2.
    const issued = await s.call<
      issuerV1.IssueForApplicationRequest,
      issuerV1.IssueForApplicationResponse
    >(s.issuerClient, 'issueForApplication', {
      tenantId: s.realm.tenantA,
      token: source.token,
      applicationId: s.realm.applicationA2,
      refreshToken: source.refreshToken,
    });
    expect(issued.refreshToken).not.toBe('');
    // Its first token carries no scope, as FusionAuth's issue does...
    expect(claimsOf(issued.token).scope).toBeUndefined();

    // ...and refreshing the fork must not add the source application's scopes either.
    const refreshed = await s.call<issuerV1.RefreshRequest, issuerV1.RefreshResponse>(
      s.issuerClient,
      'refresh',
      {
        tenantId: '',
        refreshToken: issued.refreshToken,
        timeToLiveSeconds: 0,
        presenter: undefined,
        requestId: '',
      },
    );
    expect(claimsOf(refreshed.token).aud).toBe(s.realm.applicationA2);
    expect(claimsOf(refreshed.token).scope).toBeUndefined();
    expect(await generateAs(refreshed.token)).toBe('refused');
  });
});
