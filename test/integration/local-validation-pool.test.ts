/**
 * The thread-pool engine of local validation (the sidecar's): while a signature waits on
 * libuv's pool the keys and tenant profiles may change, and the answer must be the one the
 * keys in force give, not the one the signature started under. The pool is held busy on
 * purpose (every thread in a long PBKDF2) so the change lands while the check is queued.
 */
import { pbkdf2 } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { promisify } from 'node:util';
import { credentialsMetadata } from '@tessera/grpc-runtime';
import { createLocalValidator, type LocalValidator } from '@tessera/local-validation';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startSessionFor, startStack } from '../support/stack.js';

/** Long enough for a realm reload and its WatchKeys push to land before it ends. */
const BUSY_ITERATIONS = 3_000_000;

let s: Stack;
let validator: LocalValidator;

beforeAll(async () => {
  s = await startStack();
  validator = createLocalValidator({
    issuer: s.issuerClient,
    session: s.sessionClient,
    metadata: () => credentialsMetadata(s.realm.keys.plain),
    clock: s.clock,
    logger: pino({ level: 'silent' }),
    engine: 'node-crypto-pool',
  });
  await validator.ready;
});
afterAll(async () => {
  validator.stop();
  await s.close();
});

async function until(condition: () => boolean, what: string): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) {
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
  if (!condition()) throw new Error(`never: ${what}`);
}

describe('local validation on the thread pool', () => {
  it('answers like the issuer for a first-seen token and a repeat one', async () => {
    const { token } = await startSessionFor(s, 'pool-user');
    const first = await validator.validate(token);
    expect(first).toMatchObject({ valid: true, tenantId: s.realm.tenantA, kid: 'a-es256' });
    expect(validator.validateCached(token)).toEqual(first);
  });

  it('shares one verification among requests that bring the same new token at once', async () => {
    const { token } = await startSessionFor(s, 'pool-shared');
    const [header, payload, signature = ''] = token.split('.');
    const forged = `${header}.${payload}.${signature.startsWith('A') ? 'B' : 'A'}${signature.slice(1)}`;
    const misses = validator.state().cacheMisses;
    const genuine = await Promise.all([validator.validate(token), validator.validate(token)]);
    // One verification's answer, the same object, for both; each request still counts a miss.
    expect(genuine[0]).toMatchObject({ valid: true, tenantId: s.realm.tenantA });
    expect(genuine[1]).toBe(genuine[0]);
    expect(validator.state().cacheMisses).toBe(misses + 2);
    const refused = await Promise.all([validator.validate(forged), validator.validate(forged)]);
    expect(refused[0]).toMatchObject({ valid: false, reason: 'BAD_SIGNATURE' });
    expect(refused[1]).toBe(refused[0]);
    // Nothing is kept once it settles: a forged token sent again is verified again.
    const again = await validator.validate(forged);
    expect(again).toEqual(refused[0]);
    expect(again).not.toBe(refused[0]);
  });

  it('answers under the profiles in force when they change while the signature waits on the pool', async () => {
    const { token } = await startSessionFor(s, 'pool-moved');
    const realmBefore = readFileSync(s.realm.realmFile, 'utf8');
    const revisionBefore = validator.state().keyRevision;
    const threads = Number(process.env.UV_THREADPOOL_SIZE ?? 4);
    let busyEnded = false;
    const busy = Promise.all(
      Array.from({ length: threads }, () =>
        promisify(pbkdf2)('busy', 'pool', BUSY_ITERATIONS, 32, 'sha256'),
      ),
    ).then(() => {
      busyEnded = true;
    });
    try {
      const answer = validator.validate(token);
      // Tenant A moves to another issuer: the token's `iss` is no longer A's.
      s.realm.writeRealm(
        realmBefore.replace('issuer: https://a.example', 'issuer: https://a2.example'),
      );
      expect(await s.issuer.state.reload()).toBe(true);
      await until(
        () => validator.state().keyRevision !== revisionBefore,
        'the new profiles arrived',
      );
      // The scenario happened: the change was applied while the signature was still queued.
      expect(busyEnded).toBe(false);
      expect(await answer).toMatchObject({ valid: false, reason: 'ISSUER_MISMATCH' });
      // Nothing verified under the old profile was kept: a repeat is not a cache hit.
      expect(validator.validateCached(token)).toBeUndefined();
    } finally {
      await busy;
      s.realm.writeRealm(realmBefore);
      await s.issuer.state.reload();
    }
  });
});
