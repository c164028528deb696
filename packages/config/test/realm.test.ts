import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { isTesseraError } from '@tessera/errors';
import { afterAll, describe, expect, it } from 'vitest';
import { z } from 'zod';
import {
  ConfigError,
  effectiveJwtSettings,
  hashApiKey,
  identityProviderWarnings,
  loadRealmFile,
  parseEnv,
  parseRealm,
  watchFileChanges,
} from '../src/index.js';

const TENANT = '6b1c1c77-9a6e-4a62-9b7a-4f3c2a1d0e01';
const APP = '0d9e4a3c-2b1f-4c8d-9e7a-6f5b4a3c2d02';

const minimal = `
keys:
  file: keys.jwks.json
tenants:
  - id: ${TENANT}
    issuer: https://issuer.example
`;

function problemsOf(fn: () => unknown): string {
  try {
    fn();
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    expect(isTesseraError(error, 'INVALID_ARGUMENT')).toBe(true);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
}

describe('parseRealm', () => {
  it('applies documented defaults', () => {
    const realm = parseRealm(minimal, '/etc/tessera/realm.yaml');
    const tenant = realm.tenants.get(TENANT);
    expect(tenant?.jwt.accessTokenTimeToLiveSeconds).toBe(3600);
    expect(tenant?.jwt.clockToleranceSeconds).toBe(30);
    expect(tenant?.refreshToken).toMatchObject({
      expirationPolicy: 'Fixed',
      usagePolicy: 'Reusable',
      timeToLiveInMinutes: 43_200,
      revokeFamilyOnReuse: true,
    });
    expect(tenant?.neostore.defaultValiditySeconds).toBe(3650 * 86_400);
    expect(realm.document.mode).toBe('production');
    expect(realm.document.limits.maxTokenLength).toBe(8192);
    expect(realm.keysFile).toBe('/etc/tessera/keys.jwks.json');
    expect(Object.isFrozen(realm.document.tenants[0])).toBe(true);
  });

  it('names the key path of every problem', () => {
    const message = problemsOf(() =>
      parseRealm(
        `
keys: { file: k.json }
tenants:
  - id: not-a-uuid
    issuer: ''
    jwt: { clockToleranceSeconds: -1, surprise: 1 }
`,
        'realm.yaml',
      ),
    );
    expect(message).toContain('realm.yaml');
    expect(message).toContain('tenants[0].id: must be a UUID');
    expect(message).toContain('tenants[0].issuer');
    expect(message).toContain('tenants[0].jwt.clockToleranceSeconds');
    expect(message).toContain('tenants[0].jwt');
  });

  it('refuses YAML that does not parse, with the position', () => {
    expect(problemsOf(() => parseRealm('tenants: [\n  - {', 'bad.yaml'))).toContain('(yaml)');
  });

  it('refuses plaintext API keys outside development mode', () => {
    const text = `${minimal}apiKeys:\n  - id: ci\n    key: 0123456789abcdef0123\n`;
    expect(problemsOf(() => parseRealm(text, 'realm.yaml'))).toContain('apiKeys[0].key');
    const dev = parseRealm(`mode: development\n${text}`, 'realm.yaml');
    expect(dev.apiKeysByHash.get(hashApiKey('0123456789abcdef0123'))?.id).toBe('ci');
  });

  it('stores only hashes of API keys', () => {
    const hash = hashApiKey('a-very-long-production-key');
    const realm = parseRealm(`${minimal}apiKeys:\n  - id: prod\n    keyHash: ${hash}\n`, 'r.yaml');
    const key = realm.apiKeysByHash.get(hash);
    expect(key).toMatchObject({ id: 'prod', keyHash: hash, scopes: [], permissions: {} });
    expect(JSON.stringify(realm.document)).not.toContain('a-very-long-production-key');
  });

  it('requires exactly one of key and keyHash', () => {
    expect(problemsOf(() => parseRealm(`${minimal}apiKeys:\n  - id: none\n`, 'r.yaml'))).toContain(
      'apiKeys[0].keyHash',
    );
  });

  it('checks cross references', () => {
    const other = '11111111-2222-4333-8444-555555555555';
    const message = problemsOf(() =>
      parseRealm(
        `${minimal}applications:
  - { id: ${APP}, tenantId: ${other}, name: a }
apiKeys:
  - { id: k, keyHash: ${hashApiKey('x')}, tenantId: ${other}, applicationId: ${other} }
`,
        'r.yaml',
      ),
    );
    expect(message).toContain(`applications[0].tenantId: no tenant has id ${other}`);
    expect(message).toContain('apiKeys[0].tenantId');
    expect(message).toContain('apiKeys[0].applicationId');
  });

  it('security finding 6: refuses tenants that share an issuer and a key', () => {
    const second = '11111111-2222-4333-8444-555555555555';
    const third = '21111111-2222-4333-8444-555555555555';
    const tenants = (a: string, b: string, c = '') => `keys: { file: keys.jwks.json }
tenants:
  - { id: ${TENANT}, issuer: https://shared.example${a} }
  - { id: ${second}, issuer: https://shared.example${b} }
${c}`;
    // Neither lists keyIds: both accept every key of the key file.
    expect(problemsOf(() => parseRealm(tenants('', ''), 'r.yaml'))).toContain(
      'tenants[1].issuer: tenants[0] has the same issuer',
    );
    // One lists keys, the other accepts every key, those included.
    expect(problemsOf(() => parseRealm(tenants(', keyIds: [a]', ''), 'r.yaml'))).toContain(
      'tenants[1].issuer: tenants[0] has the same issuer',
    );
    // Both list keys, one in common.
    const overlap = problemsOf(() =>
      parseRealm(tenants(', keyIds: [a, s]', ', keyIds: [b, s]'), 'r.yaml'),
    );
    expect(overlap).toContain('tenants[1].issuer');
    expect(overlap).toContain('(shared: s)');
    // A third tenant with the same issuer is checked against each earlier one.
    const third3 = problemsOf(() =>
      parseRealm(
        tenants(
          ', keyIds: [a]',
          ', keyIds: [b]',
          `  - { id: ${third}, issuer: https://shared.example, keyIds: [b] }\n`,
        ),
        'r.yaml',
      ),
    );
    expect(third3).toContain('tenants[2].issuer: tenants[1] has the same issuer');
    expect(third3).not.toContain('tenants[2].issuer: tenants[0]');
    // Disjoint keys under one issuer, and shared keys under distinct issuers, are fine.
    expect(parseRealm(tenants(', keyIds: [a]', ', keyIds: [b]'), 'r.yaml').tenants.size).toBe(2);
    expect(parseRealm(tenants('/a', '/b'), 'r.yaml').tenants.size).toBe(2);
  });

  it('refuses duplicate ids', () => {
    const message = problemsOf(() =>
      parseRealm(`${minimal}  - id: ${TENANT}\n    issuer: again\n`, 'r.yaml'),
    );
    expect(message).toContain('tenants[1].id: duplicate tenant id');
  });
});

describe('identityProviderWarnings', () => {
  it('security finding 7: warns for each provider that binds no issuer or no audience', () => {
    const provider = (id: string, name: string, extra: string) =>
      `  - { id: ${id}, name: ${name}, keys: { pem: { k: x } }${extra} }\n`;
    const realm = parseRealm(
      `${minimal}identityProviders:
${provider('11111111-2222-4333-8444-555555555555', 'Open', '')}${provider('21111111-2222-4333-8444-555555555555', 'Half', ', issuer: https://idp.example')}${provider('31111111-2222-4333-8444-555555555555', 'Bound', ', issuer: https://idp.example, audience: tessera')}`,
      'r.yaml',
    );
    expect(identityProviderWarnings(realm.document)).toEqual([
      expect.stringMatching(/^identityProviders\[0\]\.issuer: not set/),
      expect.stringMatching(/^identityProviders\[0\]\.audience: not set/),
      expect.stringMatching(/^identityProviders\[1\]\.audience: not set/),
    ]);
  });
});

describe('effectiveJwtSettings', () => {
  it('lets an application override its tenant', () => {
    const realm = parseRealm(
      `${minimal}applications:
  - id: ${APP}
    tenantId: ${TENANT}
    name: app
    jwt: { accessTokenTimeToLiveSeconds: 60, signingKeyId: k2 }
    refreshToken: { usagePolicy: OneTimeUse }
`,
      'r.yaml',
    );
    const tenant = realm.tenants.get(TENANT)!;
    const app = realm.applications.get(APP)!;
    expect(effectiveJwtSettings(tenant).accessTokenTimeToLiveSeconds).toBe(3600);
    const settings = effectiveJwtSettings(tenant, app);
    expect(settings.accessTokenTimeToLiveSeconds).toBe(60);
    expect(settings.signingKeyId).toBe('k2');
    expect(settings.refreshToken.usagePolicy).toBe('OneTimeUse');
    expect(settings.refreshToken.expirationPolicy).toBe('Fixed');
  });

  it('computes the settings of a tenant and application once per loaded realm, frozen', () => {
    const text = `${minimal}applications:
  - id: ${APP}
    tenantId: ${TENANT}
    name: app
    jwt: { accessTokenTimeToLiveSeconds: 60 }
`;
    const realm = parseRealm(text, 'r.yaml');
    const tenant = realm.tenants.get(TENANT)!;
    const app = realm.applications.get(APP)!;
    const settings = effectiveJwtSettings(tenant, app);
    expect(effectiveJwtSettings(tenant, app)).toBe(settings);
    expect(effectiveJwtSettings(tenant)).not.toBe(settings);
    expect(Object.isFrozen(settings) && Object.isFrozen(settings.refreshToken)).toBe(true);
    // A reloaded realm is new objects, so its settings are computed again from it.
    const reloaded = parseRealm(text.replace('60 }', '90 }'), 'r.yaml');
    const again = effectiveJwtSettings(
      reloaded.tenants.get(TENANT)!,
      reloaded.applications.get(APP)!,
    );
    expect(again.accessTokenTimeToLiveSeconds).toBe(90);
  });
});

describe('loadRealmFile', () => {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('says which file could not be read', () => {
    expect(problemsOf(() => loadRealmFile(join(dir, 'missing.yaml')))).toContain('ENOENT');
  });

  it('notices when the file changes', async () => {
    const file = join(dir, 'realm.yaml');
    writeFileSync(file, minimal);
    expect(loadRealmFile(file).tenants.size).toBe(1);
    const changed = new Promise<void>((resolve) => {
      const stop = watchFileChanges(
        file,
        () => {
          stop();
          resolve();
        },
        { intervalMs: 20 },
      );
    });
    // The watcher takes its first reading asynchronously; a change written before that reading
    // would be its baseline. Keep changing the file until the watcher reports (bounded).
    let detected = false;
    void changed.then(() => {
      detected = true;
    });
    for (let i = 0; i < 200 && !detected; i++) {
      writeFileSync(file, `${minimal}${'#'.repeat(i + 1)}\n`);
      await Promise.race([changed, new Promise((resolve) => setTimeout(resolve, 50))]);
    }
    await changed;
  });
});

describe('parseEnv', () => {
  const schema = z.object({
    PORT: z.coerce.number().int().max(65_535),
    NAME: z.string().default('x'),
  });

  it('parses once into a frozen object', () => {
    const env = parseEnv(schema, { PORT: '8080' });
    expect(env).toEqual({ PORT: 8080, NAME: 'x' });
    expect(Object.isFrozen(env)).toBe(true);
  });

  it('names the variable at fault', () => {
    expect(problemsOf(() => parseEnv(schema, { PORT: '99999' }))).toContain('PORT');
  });
});
