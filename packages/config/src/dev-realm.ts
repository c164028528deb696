import { randomUUID } from 'node:crypto';
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { generateKeyEntry, toKeyFileJson } from '@tessera/jwt-core';
import { writeFileAtomically } from './atomic-write.js';
import { generateApiKey, loadRealmFile, type Realm } from './realm.js';

/** A development realm on disk, and the one API key it grants. */
export interface DevRealm {
  readonly realm: Realm;
  readonly realmFile: string;
  /** The plaintext development API key (development realms keep it in the file). */
  readonly apiKey: string;
  /** False when an existing realm was reused. */
  readonly created: boolean;
}

/**
 * Makes sure `dataDir` holds a development realm: one tenant, one application, one API key
 * allowed everything, and an ES256 signing key. An existing realm is reused as it is, so
 * restarts keep the same tenant, keys and API key (and tokens issued before stay valid).
 */
export async function ensureDevRealm(
  dataDir: string,
  options: { issuer?: string } = {},
): Promise<DevRealm> {
  const realmFile = join(dataDir, 'realm.yaml');
  const keysFile = join(dataDir, 'keys.jwks.json');
  if (!existsSync(realmFile) && existsSync(keysFile)) {
    // Never overwrite signing keys: tokens signed with them would stop validating.
    throw new Error(
      `${keysFile} exists but ${realmFile} does not; restore the realm file or move the key file away`,
    );
  }
  if (!existsSync(realmFile)) {
    mkdirSync(dataDir, { recursive: true, mode: 0o700 });
    const keyEntry = await generateKeyEntry('ES256', { state: 'current' });
    writeFileAtomically(keysFile, `${JSON.stringify(toKeyFileJson([keyEntry]), null, 2)}\n`, {
      mode: 0o600,
    });
    // The realm last: its presence is what marks the data directory as complete.
    writeFileAtomically(
      realmFile,
      devRealmYaml({
        tenantId: randomUUID(),
        applicationId: randomUUID(),
        apiKey: generateApiKey(),
        issuer: options.issuer ?? 'http://localhost:8080',
      }),
      { mode: 0o600 },
    );
    return { ...readDevRealm(realmFile), created: true };
  }
  return { ...readDevRealm(realmFile), created: false };
}

function readDevRealm(realmFile: string): Omit<DevRealm, 'created'> {
  const realm = loadRealmFile(realmFile);
  const devKey = realm.document.apiKeys.find((key) => key.key !== undefined)?.key;
  if (devKey === undefined) {
    throw new Error(`${realmFile}: a development realm needs an API key with a plaintext \`key\``);
  }
  return { realm, realmFile, apiKey: devKey };
}

function devRealmYaml(ids: {
  tenantId: string;
  applicationId: string;
  apiKey: string;
  issuer: string;
}): string {
  return `# tessera development realm, generated on first start. Edit freely; it is reused on
# every start. Production realms use \`mode: production\` and store API keys as keyHash.
mode: development

keys:
  # Private signing keys (JWKS). Each key has kid, alg and state: next | current | retired.
  # Changes are picked up without a restart.
  file: keys.jwks.json

tenants:
  - id: ${ids.tenantId}
    name: Development
    issuer: ${ids.issuer}
    jwt:
      accessTokenTimeToLiveSeconds: 3600
      maximumTimeToLiveSeconds: 315360000
      clockToleranceSeconds: 30
    refreshToken:
      timeToLiveInMinutes: 43200
      expirationPolicy: SlidingWindow
      usagePolicy: OneTimeUse
      oneTimeUseGracePeriodInSeconds: 10

applications:
  - id: ${ids.applicationId}
    tenantId: ${ids.tenantId}
    name: Development app
    roles: [admin, user]
    refreshTokensEnabled: true
    webMethods:
      audience: tessera-dev
      expiryInMinutes: 60

apiKeys:
  - id: development
    description: Development key; allowed every endpoint and scope.
    key: ${ids.apiKey}
    scopes: [AuthenticationToken.Write]
    applicationId: ${ids.applicationId}
`;
}
