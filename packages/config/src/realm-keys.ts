import { readFileSync } from 'node:fs';
import { Keyring, parseKeyFile } from '@tessera/jwt-core';
import { ConfigError } from './config-error.js';
import { loadRealmFile, type Realm } from './realm.js';
import type { TenantConfig } from './realm-schema.js';

/** A realm together with the signing keys its key file holds, checked against each other. */
export interface RealmWithKeys {
  readonly realm: Realm;
  readonly keyring: Keyring;
}

/**
 * Loads the realm file and the key file it names, and checks them together: every key a
 * tenant names exists, each tenant has exactly one `current` key, and application key pins
 * point at live keys of their own tenant. Throws ConfigError naming each problem.
 */
export async function loadRealmWithKeys(realmFile: string): Promise<RealmWithKeys> {
  const realm = loadRealmFile(realmFile);
  let json: unknown;
  try {
    json = JSON.parse(readFileSync(realm.keysFile, 'utf8'));
  } catch (error) {
    const reason =
      error instanceof SyntaxError
        ? 'not valid JSON'
        : ((error as NodeJS.ErrnoException).code ?? 'unreadable');
    throw new ConfigError(realm.keysFile, [`(file): cannot read the key file (${reason})`]);
  }
  const keyring = await Keyring.fromEntries(parseKeyFile(json, realm.keysFile));
  const problems = checkKeysAgainstRealm(realm, keyring);
  if (problems.length > 0) throw new ConfigError(realm.source, problems);
  return { realm, keyring };
}

/** The kids a tenant signs with and accepts: its `keyIds`, or every key in the file. */
export function tenantKeyIds(tenant: TenantConfig, keyring: Keyring): readonly string[] {
  return tenant.keyIds ?? keyring.keys.map((key) => key.kid);
}

function checkKeysAgainstRealm(realm: Realm, keyring: Keyring): string[] {
  const problems: string[] = [];
  realm.document.tenants.forEach((tenant, i) => {
    tenant.keyIds?.forEach((kid, j) => {
      if (keyring.get(kid) === undefined)
        problems.push(`tenants[${i}].keyIds[${j}]: no key ${kid} in ${realm.keysFile}`);
    });
    const current = tenantKeyIds(tenant, keyring).filter(
      (kid) => keyring.get(kid)?.state === 'current',
    );
    if (current.length !== 1) {
      problems.push(
        `tenants[${i}]: exactly one of its keys must be in state "current" (found ${current.length}${current.length ? `: ${current.join(', ')}` : ''})`,
      );
    }
  });
  realm.document.applications.forEach((app, i) => {
    const kid = app.jwt.signingKeyId;
    if (kid === undefined) return;
    const key = keyring.get(kid);
    const tenant = realm.tenants.get(app.tenantId);
    if (key === undefined) problems.push(`applications[${i}].jwt.signingKeyId: no key ${kid}`);
    else if (key.state === 'retired')
      problems.push(`applications[${i}].jwt.signingKeyId: key ${kid} is retired`);
    else if (tenant !== undefined && !tenantKeyIds(tenant, keyring).includes(kid)) {
      problems.push(
        `applications[${i}].jwt.signingKeyId: key ${kid} is not one of its tenant's keys`,
      );
    }
  });
  return problems;
}
