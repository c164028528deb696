import {
  type Client,
  Metadata,
  type MethodDefinition,
  type ServiceDefinition,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { ISSUER_REQUIREMENTS, SESSION_REQUIREMENTS } from '@tessera/access';
import { issuerV1, sessionV1 } from '@tessera/contracts';
import { readErrorDetails } from '@tessera/grpc-runtime';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';

/**
 * Security finding 13: every RPC of both services, enumerated from the generated
 * definitions, is called with no key, with a key locked to another tenant and with a key
 * without the permission; each must be refused before it does anything. Only the RPCs the
 * tables declare open are exempt, and they are listed here on purpose.
 */

let stack: Stack;
beforeAll(async () => {
  stack = await startStack();
});
afterAll(() => stack?.close());

type IssuerRpc = keyof typeof issuerV1.IssuerServiceService;
type SessionRpc = keyof typeof sessionV1.SessionServiceService;

/** The RPCs anyone may call: published keys. Anything else must refuse. */
const OPEN_RPCS: readonly string[] = ['getPublicKeys', 'getJwks', 'watchKeys'];

/**
 * A request for each RPC that names tenant A wherever the RPC has a tenant field. Typed by
 * the definitions, so a new RPC does not compile until it has one here.
 */
function issuerRequests(): Record<IssuerRpc, unknown> {
  const r = stack.realm;
  return {
    vend: issuerV1.VendRequest.fromPartial({ tenantId: r.tenantA, claimsJson: '{}' }),
    generate: issuerV1.GenerateRequest.fromPartial({
      tenantId: r.tenantA,
      claimSets: [{ claims: [{ type: 'sub', value: 'x' }] }],
    }),
    // No tenant field: the tenant is the one of the application the key is bound to, and the
    // realm refuses a key bound to an application of another tenant than its own.
    issueApplicationToken: issuerV1.IssueApplicationTokenRequest.fromPartial({ claimsJson: '{}' }),
    issueForApplication: issuerV1.IssueForApplicationRequest.fromPartial({
      tenantId: r.tenantA,
      token: 'x.y.z',
      applicationId: r.applicationA,
    }),
    startSession: issuerV1.StartSessionRequest.fromPartial({
      tenantId: r.tenantA,
      applicationId: r.applicationA,
      userId: 'user-1',
    }),
    refresh: issuerV1.RefreshRequest.fromPartial({ tenantId: r.tenantA, refreshToken: 'x' }),
    reconcile: issuerV1.ReconcileRequest.fromPartial({
      tenantId: r.tenantA,
      applicationId: r.applicationA,
      identityProviderId: r.identityProvider.id,
      encodedJwt: 'x.y.z',
    }),
    validate: issuerV1.ValidateRequest.fromPartial({ tenantId: r.tenantA, token: 'x.y.z' }),
    getPublicKeys: issuerV1.GetPublicKeysRequest.fromPartial({}),
    getJwks: issuerV1.GetJwksRequest.fromPartial({ tenantId: r.tenantA }),
    watchKeys: issuerV1.WatchKeysRequest.fromPartial({}),
  };
}

function sessionRequests(): Record<SessionRpc, unknown> {
  const r = stack.realm;
  return {
    create: sessionV1.CreateRequest.fromPartial({
      tenantId: r.tenantA,
      applicationId: r.applicationA,
      userId: 'user-1',
    }),
    rotate: sessionV1.RotateRequest.fromPartial({ tenantId: r.tenantA, refreshToken: 'x' }),
    get: sessionV1.GetRequest.fromPartial({ tenantId: r.tenantA, id: 'x' }),
    listByUser: sessionV1.ListByUserRequest.fromPartial({ tenantId: r.tenantA, userId: 'user-1' }),
    revoke: sessionV1.RevokeRequest.fromPartial({
      tenantId: r.tenantA,
      selector: { $case: 'userId', value: 'user-1' },
    }),
    // No tenant field: the stream spans every tenant, so any tenant-locked key is "another
    // tenant" for it.
    watchRevocations: sessionV1.WatchRevocationsRequest.fromPartial({}),
    upsertUser: sessionV1.UpsertUserRequest.fromPartial({
      user: { id: 'user-1', tenantId: r.tenantA, email: 'u@a.example', active: true },
    }),
    getUser: sessionV1.GetUserRequest.fromPartial({
      tenantId: r.tenantA,
      selector: { $case: 'id', value: 'user-1' },
    }),
    upsertRegistration: sessionV1.UpsertRegistrationRequest.fromPartial({
      tenantId: r.tenantA,
      registration: { userId: 'user-1', applicationId: r.applicationA },
    }),
  };
}

/** The status a call ended with: OK, or its error's code and reason. */
interface Outcome {
  readonly code: status;
  readonly reason: string | undefined;
}

/** Calls `method` through `client` by its generated definition, unary or server-stream. */
function callRaw(
  client: Client,
  method: MethodDefinition<unknown, unknown>,
  request: unknown,
  apiKey: string | undefined,
): Promise<Outcome> {
  const metadata = new Metadata();
  if (apiKey !== undefined) metadata.set('authorization', apiKey);
  const deadline = Date.now() + 10_000;
  const settle = (error: ServiceError | null): Outcome => {
    if (error === null) return { code: status.OK, reason: undefined };
    return { code: error.code, reason: readErrorDetails(error)?.reason };
  };
  return new Promise<Outcome>((resolve) => {
    if (!method.responseStream) {
      client.makeUnaryRequest(
        method.path,
        method.requestSerialize,
        method.responseDeserialize,
        request,
        metadata,
        { deadline },
        (error) => resolve(settle(error)),
      );
      return;
    }
    const call = client.makeServerStreamRequest(
      method.path,
      method.requestSerialize,
      method.responseDeserialize,
      request,
      metadata,
      { deadline },
    );
    // A stream that sends a first message was served; a refused stream ends with an error.
    call.once('data', () => {
      call.cancel();
      resolve({ code: status.OK, reason: undefined });
    });
    call.once('error', (error: ServiceError) => {
      if (error.code !== status.CANCELLED) resolve(settle(error));
    });
  });
}

/** One RPC of one service, enumerated from its generated definition. */
interface Case {
  readonly service: 'issuer' | 'session';
  readonly rpc: string;
  readonly method: MethodDefinition<unknown, unknown>;
}

function casesOf(service: Case['service'], definition: ServiceDefinition): Case[] {
  return Object.entries(definition).map(([rpc, method]) => ({ service, rpc, method }));
}

const CASES: readonly Case[] = [
  ...casesOf('issuer', issuerV1.IssuerServiceService),
  ...casesOf('session', sessionV1.SessionServiceService),
];
const GUARDED = CASES.filter((c) => !OPEN_RPCS.includes(c.rpc));

function call(c: Case, apiKey: string | undefined): Promise<Outcome> {
  if (c.service === 'issuer') {
    const requests: Readonly<Record<string, unknown>> = issuerRequests();
    return callRaw(stack.issuerClient, c.method, requests[c.rpc], apiKey);
  }
  const requests: Readonly<Record<string, unknown>> = sessionRequests();
  return callRaw(stack.sessionClient, c.method, requests[c.rpc], apiKey);
}

/** A key that lacks the permission of `rpc` (every key of the realm may call something). */
function keyWithoutPermission(rpc: string): string {
  return rpc === 'vend' ? stack.realm.keys.validateOnly : stack.realm.keys.vendOnly;
}

/** A key locked to tenant B that the RPC's requirement would otherwise accept. */
function keyOfAnotherTenant(rpc: string): string {
  return rpc === 'generate' ? stack.realm.keys.lockedToBWriter : stack.realm.keys.lockedToB;
}

describe('security finding 13 — every RPC of both services is refused without the right key', () => {
  it('covers every RPC of both generated definitions, and the open ones are exactly the published keys', () => {
    expect(Object.keys(ISSUER_REQUIREMENTS).sort()).toEqual(
      Object.keys(issuerV1.IssuerServiceService).sort(),
    );
    expect(Object.keys(SESSION_REQUIREMENTS).sort()).toEqual(
      Object.keys(sessionV1.SessionServiceService).sort(),
    );
    const open = Object.entries({ ...ISSUER_REQUIREMENTS, ...SESSION_REQUIREMENTS })
      .filter(([, requirement]) => requirement.kind === 'open')
      .map(([rpc]) => rpc);
    expect(open.sort()).toEqual([...OPEN_RPCS].sort());
    expect(GUARDED).toHaveLength(CASES.length - OPEN_RPCS.length);
  });

  it.each(GUARDED.map((c) => [`${c.service} ${c.rpc}`, c] as const))(
    'finding 13: %s refuses a call with no key (UNAUTHENTICATED)',
    async (_name, c) => {
      expect(await call(c, undefined)).toEqual({
        code: status.UNAUTHENTICATED,
        reason: 'UNAUTHENTICATED',
      });
    },
  );

  it.each(GUARDED.map((c) => [`${c.service} ${c.rpc}`, c] as const))(
    'finding 13: %s refuses a key locked to tenant B acting on tenant A (PERMISSION_DENIED)',
    async (_name, c) => {
      expect(await call(c, keyOfAnotherTenant(c.rpc))).toEqual({
        code: status.PERMISSION_DENIED,
        reason: 'PERMISSION_DENIED',
      });
    },
  );

  it.each(GUARDED.map((c) => [`${c.service} ${c.rpc}`, c] as const))(
    'finding 13: %s refuses a key without the permission (PERMISSION_DENIED)',
    async (_name, c) => {
      expect(await call(c, keyWithoutPermission(c.rpc))).toEqual({
        code: status.PERMISSION_DENIED,
        reason: 'PERMISSION_DENIED',
      });
    },
  );

  it.each(
    CASES.filter((c) => OPEN_RPCS.includes(c.rpc)).map(
      (c) => [`${c.service} ${c.rpc}`, c] as const,
    ),
  )('finding 13: open RPC %s is served without credentials', async (_name, c) => {
    expect(await call(c, undefined)).toEqual({
      code: status.OK,
      reason: undefined,
    });
  });
});
