import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ensureDevRealm, hashApiKey, loadRealmWithKeys } from '../src/index.js';

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-dev-realm-'));
  dirs.push(dir);
  return dir;
}

const modeOf = (path: string) => statSync(path).mode & 0o777;

describe('ensureDevRealm', () => {
  it('creates a development realm and its key file, readable only by their owner', async () => {
    const dataDir = join(tempDir(), 'data');
    const dev = await ensureDevRealm(dataDir);

    expect(dev.created).toBe(true);
    expect(dev.realmFile).toBe(join(dataDir, 'realm.yaml'));
    expect(modeOf(dataDir)).toBe(0o700);
    expect(modeOf(join(dataDir, 'realm.yaml'))).toBe(0o600);
    expect(modeOf(join(dataDir, 'keys.jwks.json'))).toBe(0o600);

    const doc = dev.realm.document;
    expect(doc.mode).toBe('development');
    expect(doc.tenants).toHaveLength(1);
    expect(doc.applications).toHaveLength(1);
    expect(doc.applications[0]?.tenantId).toBe(doc.tenants[0]?.id);
    expect(doc.apiKeys).toHaveLength(1);
    expect(doc.apiKeys[0]?.key).toBe(dev.apiKey);
    expect(dev.apiKey.length).toBeGreaterThanOrEqual(32);
    expect(dev.realm.apiKeysByHash.has(hashApiKey(dev.apiKey))).toBe(true);
  });

  it('writes a realm that loads together with its keys: one current ES256 key', async () => {
    const dev = await ensureDevRealm(tempDir());
    const { realm, keyring } = await loadRealmWithKeys(dev.realmFile);
    expect(realm.keysFile).toBe(join(realm.source, '..', 'keys.jwks.json'));
    expect(keyring.keys).toHaveLength(1);
    expect(keyring.keys[0]).toMatchObject({ alg: 'ES256', state: 'current' });
  });

  it('uses the given issuer for the tenant', async () => {
    const dev = await ensureDevRealm(tempDir(), { issuer: 'https://dev.example' });
    expect(dev.realm.document.tenants[0]?.issuer).toBe('https://dev.example');
  });

  it('reuses an existing realm as it is: same tenant, API key and signing key', async () => {
    const dataDir = tempDir();
    const first = await ensureDevRealm(dataDir);
    const realmText = readFileSync(first.realmFile, 'utf8');
    const keysText = readFileSync(join(dataDir, 'keys.jwks.json'), 'utf8');

    const second = await ensureDevRealm(dataDir);

    expect(second.created).toBe(false);
    expect(second.realmFile).toBe(first.realmFile);
    expect(second.apiKey).toBe(first.apiKey);
    expect(second.realm.document.tenants[0]?.id).toBe(first.realm.document.tenants[0]?.id);
    expect(second.realm.document.applications[0]?.id).toBe(
      first.realm.document.applications[0]?.id,
    );
    expect(readFileSync(second.realmFile, 'utf8')).toBe(realmText);
    expect(readFileSync(join(dataDir, 'keys.jwks.json'), 'utf8')).toBe(keysText);
  });

  it('gives every new data folder its own tenant, API key and signing key', async () => {
    const a = await ensureDevRealm(tempDir());
    const b = await ensureDevRealm(tempDir());
    expect(b.apiKey).not.toBe(a.apiKey);
    expect(b.realm.document.tenants[0]?.id).not.toBe(a.realm.document.tenants[0]?.id);
    const kidOf = async (realmFile: string) =>
      (await loadRealmWithKeys(realmFile)).keyring.keys[0]?.kid;
    expect(await kidOf(b.realmFile)).not.toBe(await kidOf(a.realmFile));
  });
});
