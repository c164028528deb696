import { commonV1, sessionV1 } from '@tessera/contracts';
import { randomApiKey } from '@tessera/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createUser } from '../gateway/support-fusionauth.js';
import { addSingleMethodKey, type Stack, startStack } from '../support/stack.js';

let s: Stack;
/** A key allowed only the session service's Rotate, locked to tenant A. */
const rotateKey = randomApiKey();

beforeAll(async () => {
  s = await startStack();
  await addSingleMethodKey(s, {
    id: 'rotate-only',
    key: rotateKey,
    method: 'tessera.session.v1.SessionService/Rotate',
  });
});
afterAll(() => s?.close());

/** A Reusable session of `userId` in tenant A: it can be rotated as often as a test likes. */
async function createSession(userId: string): Promise<string> {
  const created = await s.call<sessionV1.CreateRequest, sessionV1.CreateResponse>(
    s.sessionClient,
    'create',
    sessionV1.CreateRequest.fromPartial({
      tenantId: s.realm.tenantA,
      applicationId: s.realm.applicationA,
      userId,
      policy: {
        expiration: commonV1.ExpirationPolicy.EXPIRATION_POLICY_FIXED,
        usage: commonV1.UsagePolicy.USAGE_POLICY_REUSABLE,
        timeToLiveMinutes: 60,
        maximumTimeToLiveMinutes: 0,
        gracePeriodSeconds: 0,
        revokeFamilyOnReuse: false,
      },
    }),
  );
  return created.refreshToken;
}

function rotate(refreshToken: string, apiKey?: string): Promise<sessionV1.RotateResponse> {
  return s.call<sessionV1.RotateRequest, sessionV1.RotateResponse>(
    s.sessionClient,
    'rotate',
    {
      refreshToken,
      presenter: undefined,
      requestId: '',
      tenantId: '',
      includeUser: true,
    },
    apiKey,
  );
}

describe('Rotate with include_user reads the user only for a key GetUser would serve', () => {
  it('answers the user as the directory holds it now', async () => {
    const userId = await createUser(s, { email: 'rotating@a.example' });
    const rotated = await rotate(await createSession(userId));
    expect(rotated.userIncluded).toBe(true);
    expect(rotated.user).toMatchObject({ id: userId, email: 'rotating@a.example', active: true });
  });

  it('says so when the directory holds no such user', async () => {
    const rotated = await rotate(await createSession('not-in-the-directory'));
    expect(rotated).toMatchObject({ userIncluded: true, user: undefined });
    expect(rotated.record?.userId).toBe('not-in-the-directory');
  });

  it('leaves the user out for a key allowed Rotate but not GetUser, and still rotates', async () => {
    const userId = await createUser(s);
    const refreshToken = await createSession(userId);
    const getUser = await s.fail(
      s.sessionClient,
      'getUser',
      { tenantId: s.realm.tenantA, selector: { $case: 'id', value: userId } },
      rotateKey,
    );
    expect(getUser).toMatchObject({ reason: 'PERMISSION_DENIED' });
    const rotated = await rotate(refreshToken, rotateKey);
    expect(rotated).toMatchObject({ userIncluded: false, user: undefined });
    expect(rotated.record?.userId).toBe(userId);
  });

  it('reads nothing unless asked', async () => {
    const userId = await createUser(s);
    const rotated = await s.call<sessionV1.RotateRequest, sessionV1.RotateResponse>(
      s.sessionClient,
      'rotate',
      {
        refreshToken: await createSession(userId),
        presenter: undefined,
        requestId: '',
        tenantId: '',
        includeUser: false,
      },
    );
    expect(rotated).toMatchObject({ userIncluded: false, user: undefined });
  });
});
