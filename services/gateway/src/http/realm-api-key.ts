import { hashApiKey, type Realm } from '@tessera/config';

/**
 * Whether `apiKey` is a key of the realm. The services authorize every call themselves; the
 * gateway asks only this, before it reads a body, so an unknown key is a 401 whatever the
 * body holds, as the documented APIs authenticate before they read parameters.
 */
export function isRealmApiKey(realm: Realm, apiKey: string): boolean {
  return realm.apiKeysByHash.has(hashApiKey(apiKey));
}
