import { hashApiKey, parseRealm, type Realm } from '@tessera/config';
import { isTesseraError } from '@tessera/errors';
import { describe, expect, it } from 'vitest';
import { type Caller, findTenant, resolveTenant } from '../src/index.js';

const A = '6b1c1c77-9a6e-4a62-9b7a-4f3c2a1d0e0a';
const B = '6b1c1c77-9a6e-4a62-9b7a-4f3c2a1d0e0b';
const APP_B = '6b1c1c77-9a6e-4a62-9b7a-4f3c2a1d0eab';

function realmOf(tenants: readonly string[]): Realm {
  return parseRealm(
    `keys: { file: k.json }
tenants: [${tenants.map((id) => `{ id: ${id}, issuer: https://${id}.example }`).join(', ')}]
applications: [${tenants.includes(B) ? `{ id: ${APP_B}, tenantId: ${B}, name: app }` : ''}]
apiKeys:
  - { id: free, keyHash: ${hashApiKey('free')} }
${tenants.includes(B) ? `  - { id: locked-b, keyHash: ${hashApiKey('locked-b')}, tenantId: ${B} }` : ''}
`,
    'realm.yaml',
  );
}

const two = realmOf([A, B]);
const one = realmOf([A]);
const keyOf = (realm: Realm, id: string): Caller => {
  const key = [...realm.apiKeysByHash.values()].find((k) => k.id === id);
  if (key === undefined) throw new Error(`no key ${id}`);
  return { kind: 'api-key', key };
};
const anonymous: Caller = { kind: 'anonymous' };

function codeOf(run: () => unknown): string | undefined {
  try {
    run();
  } catch (error) {
    if (isTesseraError(error)) return error.code;
    throw error;
  }
  return undefined;
}

describe('security finding 13 — tenant resolution, once', () => {
  it('finding 13: an explicit tenant must be the one a locked key is locked to, and must exist', () => {
    expect(resolveTenant(two, { tenantId: A, caller: keyOf(two, 'free') }).id).toBe(A);
    expect(codeOf(() => resolveTenant(two, { tenantId: A, caller: keyOf(two, 'locked-b') }))).toBe(
      'PERMISSION_DENIED',
    );
    // The lock is checked first: a locked key learns nothing about other tenant ids.
    expect(
      codeOf(() => resolveTenant(two, { tenantId: 'nope', caller: keyOf(two, 'locked-b') })),
    ).toBe('PERMISSION_DENIED');
    expect(codeOf(() => resolveTenant(two, { tenantId: 'nope', caller: anonymous }))).toBe(
      'TENANT_NOT_FOUND',
    );
  });

  it('finding 13: else the key’s tenant, else the named application’s, else the only one, else TENANT_ID_REQUIRED', () => {
    expect(resolveTenant(two, { caller: keyOf(two, 'locked-b') }).id).toBe(B);
    expect(resolveTenant(two, { caller: anonymous, applicationId: APP_B }).id).toBe(B);
    expect(resolveTenant(one, { tenantId: '', caller: anonymous }).id).toBe(A);
    expect(codeOf(() => resolveTenant(two, { caller: keyOf(two, 'free') }))).toBe(
      'TENANT_ID_REQUIRED',
    );
    expect(findTenant(two, { caller: keyOf(two, 'free') })).toBeUndefined();
  });
});
