/**
 * Key names of the refresh-token store. Every key of one family carries the hash tag
 * `{familyId}`, so the family's scripts touch a single Redis Cluster slot; the user and
 * application indexes live in slots of their own and are only ever touched one key per
 * command. The `rt:` namespace leaves room for the other parts of the session store.
 */

/** The family's hash: the record, the current and parent token hashes, the last presenter. */
export function familyKey(familyId: string): string {
  return `rt:{${familyId}}`;
}

/** The family's older token hashes (sorted set by generation), kept to recognise reuse. */
export function ancestorsKey(familyId: string): string {
  return `rt:{${familyId}}:anc`;
}

/**
 * The ids of a root session's forks (a set), in the root's slot: registering a fork checks
 * the root's liveness and cap in the same script.
 */
export function forksKey(familyId: string): string {
  return `rt:{${familyId}}:forks`;
}

/** The ids of a user's families (a set). */
export function userIndexKey(tenantId: string, userId: string): string {
  return `rt:u:{${tenantId}:${userId}}`;
}

/** The ids of an application's families (a set). */
export function applicationIndexKey(tenantId: string, applicationId: string): string {
  return `rt:a:{${tenantId}:${applicationId}}`;
}

/**
 * A Create's request id (`requestKey`: an HMAC of tenant, application, user and request id):
 * the family it created and until when a resend is honoured, with a TTL of the idempotency
 * window, so these keys never outlive it.
 */
export function createRequestKey(requestKey: string): string {
  return `rt:r:{${requestKey}}`;
}
