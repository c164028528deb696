import { randomBytes, randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  generateKeyEntry,
  type KeyFileEntry,
  type KeyState,
  type SigningAlgorithm,
  toKeyFileJson,
} from '@tessera/jwt-core';

/** A realm written to a fresh temporary folder; `cleanup` removes it. */
export interface TempRealm {
  readonly dir: string;
  readonly realmFile: string;
  readonly keysFile: string;
  /** Rewrites the realm file (e.g. to test reloads). */
  writeRealm(yaml: string): void;
  /** Rewrites the key file. */
  writeKeys(entries: readonly KeyFileEntry[]): void;
  cleanup(): void;
}

/** Writes `realmYaml` and `keys` into a new temporary folder. */
export function writeTempRealm(realmYaml: string, keys: readonly KeyFileEntry[]): TempRealm {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-realm-'));
  const realmFile = join(dir, 'realm.yaml');
  const keysFile = join(dir, 'keys.jwks.json');
  const writeRealm = (yaml: string) => writeFileSync(realmFile, yaml);
  const writeKeys = (entries: readonly KeyFileEntry[]) =>
    writeFileSync(keysFile, JSON.stringify(toKeyFileJson(entries)));
  writeKeys(keys);
  writeRealm(realmYaml);
  return {
    dir,
    realmFile,
    keysFile,
    writeRealm,
    writeKeys,
    cleanup: () => rmSync(dir, { recursive: true, force: true }),
  };
}

/** Generates one key per [kid, alg, state]. */
export async function generateKeys(
  specs: readonly (readonly [kid: string, alg: SigningAlgorithm, state: KeyState])[],
): Promise<KeyFileEntry[]> {
  return Promise.all(specs.map(([kid, alg, state]) => generateKeyEntry(alg, { kid, state })));
}

/** A random API key of realistic length. */
export function randomApiKey(): string {
  return randomBytes(24).toString('base64url');
}

/**
 * The standard two-tenant realm of the integration suites: tenant A (ES256 current, RS256
 * next, EdDSA retired), tenant B (ES256 current), tenant H (HS256 current, never published);
 * one application per tenant A; API keys with every shape of permission.
 */
export interface StandardRealm extends TempRealm {
  readonly tenantA: string;
  readonly tenantB: string;
  readonly tenantH: string;
  readonly applicationA: string;
  /** A second application of tenant A (refresh tokens enabled, role `viewer`). */
  readonly applicationA2: string;
  /** An external-JWT identity provider of tenant A; sign its tokens with `privateKey`. */
  readonly identityProvider: {
    readonly id: string;
    readonly kid: string;
    readonly privateKey: KeyFileEntry;
  };
  /**
   * A second identity provider of tenant A, with no managed domains, that binds `iss` and
   * `aud` (given here); sign its tokens with `privateKey`.
   */
  readonly openIdentityProvider: {
    readonly id: string;
    readonly kid: string;
    readonly privateKey: KeyFileEntry;
    readonly issuer: string;
    readonly audience: string;
  };
  readonly issuerA: string;
  readonly issuerB: string;
  readonly keys: {
    /** Every endpoint, the Neostore scope, bound to applicationA. */
    readonly admin: string;
    /** Only `POST /api/jwt/vend`. */
    readonly vendOnly: string;
    /** Locked to tenant B. */
    readonly lockedToB: string;
    /** Every endpoint, no scope, no application. */
    readonly plain: string;
    /** Locked to tenant B, with the Neostore scope. */
    readonly lockedToBWriter: string;
    /** Only `/api/jwt/validate: [GET]`. */
    readonly validateOnly: string;
  };
  readonly keyEntries: readonly KeyFileEntry[];
}

/** Writes the standard realm; see {@link StandardRealm}. */
export async function writeStandardRealm(
  options: {
    clockToleranceSeconds?: number;
    /** The keys tenant B accepts; default `[b-es256]` (e.g. add `a-rs256` to share a key). */
    tenantBKeyIds?: readonly string[];
    /** Tenant A's `revocation.maxLiveEntries`; the default limit when omitted. */
    revocationMaxLiveEntries?: number;
    /** Tenant A's `revocation.maxLiveEntriesPerUser`; the default bound when omitted. */
    revocationMaxLiveEntriesPerUser?: number;
    /** Tenant A's refresh-token usage policy; the default (Reusable) when omitted. */
    refreshTokenUsagePolicy?: 'Reusable' | 'OneTimeUse';
  } = {},
): Promise<StandardRealm> {
  const ids = {
    tenantA: randomUUID(),
    tenantB: randomUUID(),
    tenantH: randomUUID(),
    applicationA: randomUUID(),
    applicationA2: randomUUID(),
    identityProviderId: randomUUID(),
    openIdentityProviderId: randomUUID(),
  };
  const idpKey = await generateKeyEntry('ES256', { kid: 'idp-es256', state: 'current' });
  const { d: _private, ...idpPublic } = idpKey.jwk;
  const openIdpKey = await generateKeyEntry('ES256', { kid: 'open-idp-es256', state: 'current' });
  const { d: _openPrivate, ...openIdpPublic } = openIdpKey.jwk;
  const openIdp = { issuer: 'https://open-idp.example', audience: 'tessera-a' };
  const keys = {
    admin: randomApiKey(),
    vendOnly: randomApiKey(),
    lockedToB: randomApiKey(),
    plain: randomApiKey(),
    lockedToBWriter: randomApiKey(),
    validateOnly: randomApiKey(),
  };
  const keyEntries = await generateKeys([
    ['a-es256', 'ES256', 'current'],
    ['a-rs256', 'RS256', 'next'],
    ['a-eddsa', 'EdDSA', 'retired'],
    ['b-es256', 'ES256', 'current'],
    ['h-hs256', 'HS256', 'current'],
  ]);
  const tolerance = options.clockToleranceSeconds ?? 30;
  const yaml = `mode: development
keys: { file: keys.jwks.json }
tenants:
  - id: ${ids.tenantA}
    name: A
    issuer: https://a.example
    keyIds: [a-es256, a-rs256, a-eddsa]
    jwt: { accessTokenTimeToLiveSeconds: 600, maximumTimeToLiveSeconds: 86400, clockToleranceSeconds: ${tolerance} }${revocationYaml(options)}${
      options.refreshTokenUsagePolicy
        ? `\n    refreshToken: { usagePolicy: ${options.refreshTokenUsagePolicy} }`
        : ''
    }
  - id: ${ids.tenantB}
    name: B
    issuer: https://b.example
    keyIds: [${(options.tenantBKeyIds ?? ['b-es256']).join(', ')}]
    jwt: { clockToleranceSeconds: ${tolerance} }
  - id: ${ids.tenantH}
    name: H
    issuer: https://h.example
    keyIds: [h-hs256]
applications:
  - id: ${ids.applicationA}
    tenantId: ${ids.tenantA}
    name: App A
    roles: [admin]
    webMethods: { audience: partner-api, expiryInMinutes: 15 }
  - id: ${ids.applicationA2}
    tenantId: ${ids.tenantA}
    name: App A2
    roles: [viewer]
identityProviders:
  - id: ${ids.identityProviderId}
    name: Partner IdP
    uniqueIdentityClaim: email
    managedDomains: [partner.example]
    claimMap: { given_name: firstName, family_name: lastName, groups: registration.roles }
    keys:
      jwks: { keys: [${JSON.stringify(idpPublic)}] }
  - id: ${ids.openIdentityProviderId}
    name: Open IdP
    tenantIds: [${ids.tenantA}]
    issuer: ${openIdp.issuer}
    audience: ${openIdp.audience}
    claimMap: { groups: registration.roles }
    keys:
      jwks: { keys: [${JSON.stringify(openIdpPublic)}] }
apiKeys:
  - { id: admin, key: ${keys.admin}, scopes: [AuthenticationToken.Write], applicationId: ${ids.applicationA} }
  - { id: vend-only, key: ${keys.vendOnly}, permissions: { /api/jwt/vend: [POST] } }
  - { id: locked-b, key: ${keys.lockedToB}, tenantId: ${ids.tenantB} }
  - { id: plain, key: ${keys.plain} }
  - { id: locked-b-writer, key: ${keys.lockedToBWriter}, tenantId: ${ids.tenantB}, scopes: [AuthenticationToken.Write] }
  - { id: validate-only, key: ${keys.validateOnly}, permissions: { /api/jwt/validate: [GET] } }
`;
  const realm = writeTempRealm(yaml, keyEntries);
  return {
    ...realm,
    tenantA: ids.tenantA,
    tenantB: ids.tenantB,
    tenantH: ids.tenantH,
    applicationA: ids.applicationA,
    applicationA2: ids.applicationA2,
    identityProvider: { id: ids.identityProviderId, kid: 'idp-es256', privateKey: idpKey },
    openIdentityProvider: {
      id: ids.openIdentityProviderId,
      kid: 'open-idp-es256',
      privateKey: openIdpKey,
      ...openIdp,
    },
    issuerA: 'https://a.example',
    issuerB: 'https://b.example',
    keys,
    keyEntries,
  };
}

/** Tenant A's `revocation` block, when a test sets one of its limits. */
function revocationYaml(options: {
  revocationMaxLiveEntries?: number;
  revocationMaxLiveEntriesPerUser?: number;
}): string {
  const fields = [
    options.revocationMaxLiveEntries === undefined
      ? ''
      : `maxLiveEntries: ${options.revocationMaxLiveEntries}`,
    options.revocationMaxLiveEntriesPerUser === undefined
      ? ''
      : `maxLiveEntriesPerUser: ${options.revocationMaxLiveEntriesPerUser}`,
  ].filter((field) => field !== '');
  return fields.length === 0 ? '' : `\n    revocation: { ${fields.join(', ')} }`;
}
