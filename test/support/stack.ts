import { randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { credentials, Metadata } from '@grpc/grpc-js';
import { ManualClock } from '@tessera/clock';
import { issuerV1, sessionV1 } from '@tessera/contracts';
import {
  type RpcErrorDetails,
  readErrorDetails,
  type TransportKind,
  type UnaryMethod,
  unaryCall,
  withClientTracing,
} from '@tessera/grpc-runtime';
import type { Logger } from '@tessera/logger';
import { type StandardRealm, writeStandardRealm } from '@tessera/testing';
import type { Tracing } from '@tessera/tracing';
import pino from 'pino';
import { createIssuerApp, type IssuerApp } from '../../services/issuer/src/app.js';
import {
  createSessionApp,
  type SessionApp,
  type SessionStores,
} from '../../services/session/src/app.js';
import { memorySessionStores, redisSessionStores } from '../../services/session/src/stores.js';

/** Stores in process memory, for suites that test the flows rather than Redis. */
export function memoryStores(clock: ManualClock): SessionStores {
  return memorySessionStores({ pepper: randomBytes(32), clock });
}

type AnyClient = issuerV1.IssuerServiceClient | sessionV1.SessionServiceClient;

/** Issuer + session on 127.0.0.1:0 over the standard realm, sharing one frozen clock. */
export interface Stack {
  readonly realm: StandardRealm;
  readonly clock: ManualClock;
  readonly issuer: IssuerApp;
  readonly session: SessionApp;
  readonly issuerClient: issuerV1.IssuerServiceClient;
  readonly sessionClient: sessionV1.SessionServiceClient;
  /** `127.0.0.1:<port>` of each service, for clients other than the two above. */
  readonly issuerAddress: string;
  readonly sessionAddress: string;
  call<Req, Res>(client: AnyClient, method: string, request: Req, apiKey?: string): Promise<Res>;
  fail(
    client: AnyClient,
    method: string,
    request: unknown,
    apiKey?: string,
  ): Promise<RpcErrorDetails>;
  close(): Promise<void>;
}

/** How to start a stack. */
export interface StackOptions {
  /** The session service's stores; memory stores by default. */
  readonly stores?: (clock: ManualClock) => SessionStores | Promise<SessionStores>;
  /** Variations of the standard realm. */
  readonly realm?: Parameters<typeof writeStandardRealm>[0];
  /** How the issuer (and the gateway, in a gateway stack) call their backends; `stream` by default. */
  readonly transport?: TransportKind;
  /**
   * Tracing per component; `gateway` also traces the stack's clients (the gateway calls the
   * backends through them). Off when omitted.
   */
  readonly tracing?: StackTracing;
  /** Each component's logger; silent when omitted. */
  readonly logger?: (component: 'issuer' | 'session' | 'gateway') => Logger;
}

/** The tracing of each component of a stack. */
export interface StackTracing {
  readonly issuer?: Tracing;
  readonly session?: Tracing;
  readonly gateway?: Tracing;
}

/** Stores on a real Redis, built as the session service's composition root builds them. */
export function redisStores(
  clock: ManualClock,
  url: string,
  tracing?: Tracing,
): Promise<SessionStores> {
  return redisSessionStores({
    ...(tracing ? { tracing } : {}),
    url,
    pepper: randomBytes(32),
    clock,
    readyTimeoutMs: 5000,
    // Each stack gets its own revocation log, so suites sharing a Redis never see each other's.
    revocationLogName: `revocations-${randomBytes(4).toString('hex')}`,
  });
}

/** Starts the stack; `stores` default to memory stores. */
export async function startStack(options: StackOptions = {}): Promise<Stack> {
  const realm = await writeStandardRealm(options.realm);
  const clock = new ManualClock(Date.now());
  const silent = pino({ level: 'silent' });
  const loggerOf = options.logger ?? (() => silent);
  const tracing = options.tracing ?? {};
  const session = await createSessionApp({
    realmFile: realm.realmFile,
    logger: loggerOf('session'),
    ...(tracing.session ? { tracing: tracing.session } : {}),
    clock,
    stores: await (options.stores ?? memoryStores)(clock),
    heartbeatMs: 200,
  });
  const sessionPort = await session.grpc.listen('127.0.0.1:0');
  const issuer = await createIssuerApp({
    realmFile: realm.realmFile,
    logger: loggerOf('issuer'),
    ...(tracing.issuer ? { tracing: tracing.issuer } : {}),
    clock,
    session: {
      address: `127.0.0.1:${sessionPort}`,
      apiKey: realm.keys.admin,
      deadlineMs: 5000,
      transport: options.transport ?? 'stream',
    },
  });
  const issuerPort = await issuer.grpc.listen('127.0.0.1:0');
  await issuer.revocationsReady;
  const clientOptions = tracing.gateway ? withClientTracing({}, tracing.gateway) : {};
  const issuerClient = new issuerV1.IssuerServiceClient(
    `127.0.0.1:${issuerPort}`,
    credentials.createInsecure(),
    clientOptions,
  );
  const sessionClient = new sessionV1.SessionServiceClient(
    `127.0.0.1:${sessionPort}`,
    credentials.createInsecure(),
    clientOptions,
  );

  const call = <Req, Res>(
    client: AnyClient,
    method: string,
    request: Req,
    apiKey: string = realm.keys.admin,
  ) => {
    const metadata = new Metadata();
    if (apiKey !== '') metadata.set('authorization', apiKey);
    const fn = (client as unknown as Record<string, UnaryMethod<Req, Res>>)[method];
    if (fn === undefined) throw new Error(`no method ${method}`);
    return unaryCall(fn.bind(client), request, { deadlineMs: 10_000, metadata });
  };
  const fail = async (client: AnyClient, method: string, request: unknown, apiKey?: string) => {
    try {
      await call(client, method, request, apiKey);
    } catch (error) {
      const details = readErrorDetails(error);
      if (details === undefined) throw error;
      return details;
    }
    throw new Error(`expected ${method} to fail`);
  };
  return {
    realm,
    clock,
    issuer,
    session,
    issuerClient,
    sessionClient,
    issuerAddress: `127.0.0.1:${issuerPort}`,
    sessionAddress: `127.0.0.1:${sessionPort}`,
    call,
    fail,
    async close() {
      issuerClient.close();
      sessionClient.close();
      await issuer.stop({ graceMs: 500 });
      await session.stop({ graceMs: 500 });
      realm.cleanup();
    },
  };
}

/** Decodes a JWT payload without verifying it. */
/**
 * Adds to the stack's realm an API key locked to tenant A and allowed only `method`
 * (`tessera.session.v1.SessionService/Rotate`, say), and reloads the realm in the session
 * service and the issuer: the least-privileged caller of a security test.
 */
export async function addSingleMethodKey(
  stack: Stack,
  key: { readonly id: string; readonly key: string; readonly method: string },
): Promise<void> {
  const yaml = readFileSync(stack.realm.realmFile, 'utf8');
  stack.realm.writeRealm(
    yaml.replace(
      'apiKeys:\n',
      `apiKeys:\n  - { id: ${key.id}, key: ${key.key}, tenantId: ${stack.realm.tenantA}, permissions: { ${key.method}: [CALL] } }\n`,
    ),
  );
  if (!stack.session.realm.reload()) throw new Error('the session service refused the realm');
  if (!(await stack.issuer.state.reload())) throw new Error('the issuer refused the realm');
}

export function claimsOf(token: string): Record<string, unknown> {
  return JSON.parse(Buffer.from(token.split('.')[1] ?? '', 'base64url').toString('utf8'));
}

/** Resolves once the issuer has applied a revocation sequence of at least `sequence`. */
export async function revocationApplied(stack: Stack, sequence: bigint): Promise<void> {
  for (let i = 0; i < 500 && stack.issuer.revocations.sequence < sequence; i++) {
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  if (stack.issuer.revocations.sequence < sequence)
    throw new Error(`revocation ${sequence} never reached the issuer`);
}

/**
 * Starts a session of `userId` for tenant A's first application through the issuer, as an
 * internal login service does (`StartSession`); `fields` overrides any request field.
 */
export function startSessionFor(
  stack: Stack,
  userId: string,
  fields: Partial<issuerV1.StartSessionRequest> = {},
  apiKey?: string,
): Promise<issuerV1.StartSessionResponse> {
  return stack.call<issuerV1.StartSessionRequest, issuerV1.StartSessionResponse>(
    stack.issuerClient,
    'startSession',
    {
      tenantId: stack.realm.tenantA,
      applicationId: stack.realm.applicationA,
      userId,
      authenticationType: 'PASSWORD',
      presenter: undefined,
      device: undefined,
      scopes: [],
      dataJson: '',
      requestId: '',
      ...fields,
    },
    apiKey,
  );
}
