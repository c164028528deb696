import { createHash } from 'node:crypto';
import type { ApiKey, Realm } from './realm.js';

/**
 * Passwords at the top of every leaked-password list. A keyHash that is the SHA-256 of one of
 * them is a key anyone can guess (the hash of "password" once stood in the README's example).
 */
const WEAK_PASSWORDS = [
  'password',
  'Password',
  'password1',
  'Password1',
  'passw0rd',
  '123456',
  '12345678',
  '123456789',
  '1234567890',
  'qwerty',
  'changeme',
  'changeit',
  'secret',
  'admin',
  'administrator',
  'root',
  'letmein',
  'welcome',
  'test',
  'apikey',
  'api-key',
  'default',
  'tessera',
  'fusionauth',
];

const WEAK_HASHES: ReadonlyMap<string, string> = new Map(
  WEAK_PASSWORDS.map((password) => [
    createHash('sha256').update(password, 'utf8').digest('hex'),
    password,
  ]),
);

/** The password a keyHash is the SHA-256 of, when it is one of the well-known weak ones. */
export function weakPasswordOf(keyHash: string): string | undefined {
  return WEAK_HASHES.get(keyHash.toLowerCase());
}

/**
 * Warnings about the realm's API keys that do not make it invalid but weaken it: a key whose
 * hash is that of a well-known password, and a key meant for one job (bound to an application,
 * or given scopes) that has no `permissions` and so may call every endpoint of both services.
 */
export function apiKeyWarnings(realm: Realm): string[] {
  const warnings: string[] = [];
  for (const key of realm.apiKeysByHash.values()) {
    const weak = weakPasswordOf(key.keyHash);
    if (weak !== undefined) {
      warnings.push(
        `apiKeys ${key.id}: its keyHash is the SHA-256 of the well-known password "${weak}"; generate a random key with \`tessera apikey generate\``,
      );
    }
    const purpose = purposeOf(key);
    if (purpose !== undefined && Object.keys(key.permissions).length === 0) {
      warnings.push(
        `apiKeys ${key.id}: ${purpose} but has no permissions, so it may call every endpoint of the issuer and session services; list the endpoints it needs under permissions`,
      );
    }
  }
  return warnings;
}

function purposeOf(key: ApiKey): string | undefined {
  if (key.applicationId !== undefined) return `is bound to application ${key.applicationId}`;
  if (key.scopes.length > 0) return `is given scopes (${key.scopes.join(', ')})`;
  return undefined;
}
