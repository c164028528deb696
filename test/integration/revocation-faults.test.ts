import { commonV1, type issuerV1, type sessionV1 } from '@tessera/contracts';
import { type RedisServer, redisCommand, startRedisServer } from '@tessera/testing';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { redisStores } from '../support/stack.js';

/**
 * Security finding 3 against a real Redis without persistence, under a running issuer and
 * gateway: after the log loses its data (FLUSHALL; a restart without AOF), a new revocation
 * must still reach every validator. The stack's heartbeat is 200 ms; the bound below is that
 * heartbeat plus generous scheduling slack for a loaded machine, not a benchmark.
 */
const HEARTBEAT_MS = 200;
const REFUSED_WITHIN_MS = HEARTBEAT_MS + 2800;

let redis: RedisServer;
let s: GatewayStack | undefined;
beforeAll(async () => {
  redis = await startRedisServer();
});
afterEach(async () => {
  await s?.close();
  s = undefined;
});
afterAll(async () => {
  await redis?.stop();
});

const startSession = (stack: GatewayStack, userId: string) =>
  stack.call<issuerV1.StartSessionRequest, issuerV1.StartSessionResponse>(
    stack.issuerClient,
    'startSession',
    {
      tenantId: stack.realm.tenantA,
      applicationId: stack.realm.applicationA,
      userId,
      authenticationType: 'PASSWORD',
      presenter: undefined,
      device: undefined,
      requestId: '',
      scopes: [],
      dataJson: '',
    },
  );

const revokeSession = (stack: GatewayStack, id: string) =>
  stack.call<sessionV1.RevokeRequest, sessionV1.RevokeResponse>(stack.sessionClient, 'revoke', {
    tenantId: stack.realm.tenantA,
    selector: { $case: 'id', value: id },
    ownerUserId: '',
  });

/** Whether the issuer's Validate and the gateway's /api/jwt/validate accept `token`. */
async function acceptedBy(stack: GatewayStack, token: string) {
  const issuer = await stack.call<issuerV1.ValidateRequest, issuerV1.ValidateResponse>(
    stack.issuerClient,
    'validate',
    { tenantId: stack.realm.tenantA, token, audience: '' },
  );
  const gateway = await fetch(`${stack.baseUrl}/api/jwt/validate`, {
    headers: { authorization: `Bearer ${token}` },
  });
  return {
    issuer: issuer.valid,
    issuerRevoked: issuer.reason === commonV1.ValidationReason.VALIDATION_REASON_REVOKED,
    gateway: gateway.status === 200,
  };
}

/** Polls until both validators refuse `token`; the time it took, or undefined past `bound`. */
async function refusedWithin(stack: GatewayStack, token: string, bound: number) {
  const started = Date.now();
  while (Date.now() - started <= bound) {
    const accepted = await acceptedBy(stack, token);
    if (!accepted.issuer && !accepted.gateway && accepted.issuerRevoked) {
      return Date.now() - started;
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return undefined;
}

/** Revokes three sessions so every validator's cursor is ahead of a log that starts over. */
async function revokeSome(stack: GatewayStack) {
  for (let n = 0; n < 3; n++) {
    const started = await startSession(stack, `user-before-${n}`);
    await revokeSession(stack, started.refreshTokenId);
    expect(await refusedWithin(stack, started.token, REFUSED_WITHIN_MS)).toBeDefined();
  }
}

describe('security finding 3 — revocations survive a Redis that lost its data', () => {
  it('finding 3: after FLUSHALL a new revocation is refused by the issuer and the gateway within a heartbeat', async () => {
    const stack = await startGatewayStack({ stores: (clock) => redisStores(clock, redis.url) });
    s = stack;
    await revokeSome(stack);

    expect(await redisCommand(redis.port, ['FLUSHALL'])).toBe('OK');

    const victim = await startSession(stack, 'user-after-flush');
    expect(await acceptedBy(stack, victim.token)).toMatchObject({ issuer: true, gateway: true });
    await revokeSession(stack, victim.refreshTokenId);
    expect(await refusedWithin(stack, victim.token, REFUSED_WITHIN_MS)).toBeDefined();
  });

  it('finding 3: after a restart without persistence a new revocation is refused by the issuer and the gateway within a heartbeat', async () => {
    const stack = await startGatewayStack({ stores: (clock) => redisStores(clock, redis.url) });
    s = stack;
    await revokeSome(stack);

    await redis.restart();

    // The stores reconnect by themselves; the first calls may still fail while they do.
    let victim: issuerV1.StartSessionResponse | undefined;
    for (let attempt = 0; attempt < 50 && victim === undefined; attempt++) {
      victim = await startSession(stack, 'user-after-restart').catch(async () => {
        await new Promise((resolve) => setTimeout(resolve, 100));
        return undefined;
      });
    }
    if (victim === undefined) throw new Error('the stack never recovered from the restart');
    await revokeSession(stack, victim.refreshTokenId);
    expect(await refusedWithin(stack, victim.token, REFUSED_WITHIN_MS)).toBeDefined();
  });
});
