import { randomUUID } from 'node:crypto';
import { Metadata, type ServiceError, type status } from '@grpc/grpc-js';
import { ManualClock } from '@tessera/clock';
import { loadRealmFile, type Realm } from '@tessera/config';
import { issuerV1, sessionV1 } from '@tessera/contracts';
import { type ErrorCode, TesseraError } from '@tessera/errors';
import { clientTransport, createCaller, toServiceError } from '@tessera/grpc-runtime';
import type { LocalValidator } from '@tessera/local-validation';
import type { Logger } from '@tessera/logger';
import { type StandardRealm, writeStandardRealm } from '@tessera/testing';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { buildGateway } from '../../services/gateway/src/app.js';
import { createGatewayContext } from '../../services/gateway/src/gateway-context.js';
import type { SecureCookies } from '../../services/gateway/src/http/trusted-proxies.js';
import type { Stack } from '../support/stack.js';

const silent = pino({ level: 'silent' });

/** A backend call the fake backends received. */
export interface RecordedCall {
  readonly method: string;
  readonly request: unknown;
  readonly apiKey: string | undefined;
  /** The `x-request-id` metadata the call carried. */
  readonly requestId: string | undefined;
}

/** What a fake backend method does: answer, or throw (a gRPC status or anything else). */
export type Answer = (request: unknown) => unknown;

/** The issuer and session methods the FusionAuth and discovery routes call. */
export type BackendMethod =
  | 'issuer.getJwks'
  | 'issuer.issueForApplication'
  | 'issuer.reconcile'
  | 'issuer.getPublicKeys'
  | 'issuer.refresh'
  | 'issuer.vend'
  | 'session.get'
  | 'session.listByUser'
  | 'session.revoke';

/** The gateway in front of scripted backends and a scripted local validator. */
export interface FakeBackendGateway {
  readonly gateway: FastifyInstance;
  readonly realm: StandardRealm;
  readonly calls: RecordedCall[];
  /** The gateway's clock. */
  readonly clock: ManualClock;
  /** Scripts `method` until the next call of `answer` for it. */
  answer(method: BackendMethod, answer: Answer): void;
  /** What the local validator answers next. */
  validateWith(answer: LocalValidator['validate']): void;
  close(): Promise<void>;
}

/** A gRPC failure exactly as a tessera service sends it (reason and field in the details). */
export function rpcFailure(code: ErrorCode, field?: string): ServiceError {
  return toServiceError(
    new TesseraError(code, `failure ${code}`, field ? { field } : {}),
    silent,
  ) as ServiceError;
}

/** A bare gRPC status with no tessera details (a proxy or the runtime answered). */
export function bareStatus(code: status): ServiceError {
  return Object.assign(new Error(`status ${code}`), {
    code,
    details: `status ${code}`,
    metadata: new Metadata(),
  });
}

function fakeClient(
  prefix: 'issuer' | 'session',
  scripts: Map<string, Answer>,
  calls: RecordedCall[],
): object {
  return new Proxy(
    {},
    {
      get(_target, property) {
        // Only method names: anything else (`then`, symbols) must not look callable.
        if (typeof property !== 'string' || property === 'then') return undefined;
        const method = `${prefix}.${property}`;
        return (
          request: unknown,
          metadata: Metadata,
          _options: unknown,
          callback: (error: unknown, response?: unknown) => void,
        ) => {
          const authorization = metadata.get('authorization')[0];
          const requestId = metadata.get('x-request-id')[0];
          calls.push({
            method,
            request,
            apiKey: typeof authorization === 'string' ? authorization : undefined,
            requestId: typeof requestId === 'string' ? requestId : undefined,
          });
          const script = scripts.get(method);
          setImmediate(() => {
            try {
              if (script === undefined) throw new Error(`unscripted ${method}`);
              callback(null, script(request));
            } catch (error) {
              callback(error);
            }
          });
          return { cancel() {} };
        };
      },
    },
  );
}

/** Gateway settings of {@link startFakeBackendGateway}; the defaults are the gateway's own. */
export interface FakeBackendGatewayOptions {
  readonly publicUrl?: string;
  readonly trustedProxies?: readonly string[];
  readonly secureCookies?: SecureCookies;
  /** Changes the standard realm before the gateway sees it. */
  readonly realm?: (realm: Realm) => Realm;
  /** Where the gateway logs; silent by default. */
  readonly logger?: Logger;
}

/**
 * The real gateway (app, error handler, routes) over fake gRPC clients that answer from
 * scripts: every backend outcome can be produced on demand, including ones a real backend
 * only shows when it is down or broken.
 */
export async function startFakeBackendGateway(
  options: FakeBackendGatewayOptions = {},
): Promise<FakeBackendGateway> {
  const realm = await writeStandardRealm();
  const loaded = loadRealmFile(realm.realmFile);
  const current = options.realm ? options.realm(loaded) : loaded;
  const scripts = new Map<string, Answer>();
  const calls: RecordedCall[] = [];
  let validate: LocalValidator['validate'] = async () => ({ valid: false, reason: 'MALFORMED' });
  const validator: LocalValidator = {
    ready: Promise.resolve(),
    isReady: () => true,
    validate: (token, options) => validate(token, options),
    validateCached: () => undefined,
    revocationsCurrentAt: () => undefined,
    state: () => ({
      keyRevision: undefined,
      revocationsCurrentAt: undefined,
      cacheHits: 0,
      cacheMisses: 0,
      cacheSize: 0,
    }),
    stop() {},
  };
  const clock = new ManualClock(Date.now());
  const gateway = await buildGateway({
    context: createGatewayContext({
      issuer: createCaller(
        issuerV1.IssuerServiceService,
        clientTransport(fakeClient('issuer', scripts, calls)),
        { deadlineMs: 1000 },
      ),
      session: createCaller(
        sessionV1.SessionServiceService,
        clientTransport(fakeClient('session', scripts, calls)),
        { deadlineMs: 1000 },
      ),
      validator,
      realm: () => current,
      clock,
      deadlineMs: 1000,
      serviceApiKey: realm.keys.plain,
      publicUrl: options.publicUrl ?? '',
      ...(options.secureCookies ? { secureCookies: options.secureCookies } : {}),
    }),
    logger: options.logger ?? silent,
    registry: new Registry(),
    bodyLimitBytes: 64 * 1024,
    ...(options.trustedProxies ? { trustedProxies: options.trustedProxies } : {}),
    ready: async () => true,
  });
  await gateway.ready();
  return {
    gateway,
    realm,
    calls,
    clock,
    answer: (method, answer) => scripts.set(method, answer),
    validateWith(answer) {
      validate = answer;
    },
    async close() {
      await gateway.close();
      realm.cleanup();
    },
  };
}

/** A user of tenant A registered to `applicationIds`, created through the session service. */
export async function createUser(
  stack: Stack,
  options: { email?: string; applicationIds?: readonly string[]; roles?: readonly string[] } = {},
): Promise<string> {
  const id = randomUUID();
  const tenantId = stack.realm.tenantA;
  await stack.call<sessionV1.UpsertUserRequest, sessionV1.UpsertUserResponse>(
    stack.sessionClient,
    'upsertUser',
    {
      user: {
        id,
        tenantId,
        email: options.email ?? `${id}@a.example`,
        username: '',
        verified: true,
        active: true,
        firstName: '',
        lastName: '',
        fullName: '',
        dataJson: '',
        insertInstant: 0n,
        lastUpdateInstant: 0n,
        lastLoginInstant: 0n,
        registrations: [],
        identityLinks: [],
      },
      identityLink: undefined,
      registration: undefined,
    },
  );
  for (const applicationId of options.applicationIds ?? [])
    await register(stack, id, applicationId, options.roles);
  return id;
}

/** Registers a user of tenant A to an application. */
export async function register(
  stack: Stack,
  userId: string,
  applicationId: string,
  roles: readonly string[] = [],
): Promise<void> {
  await stack.call<sessionV1.UpsertRegistrationRequest, sessionV1.UpsertRegistrationResponse>(
    stack.sessionClient,
    'upsertRegistration',
    {
      tenantId: stack.realm.tenantA,
      registration: {
        id: '',
        userId,
        applicationId,
        roles: [...roles],
        username: '',
        dataJson: '',
        insertInstant: 0n,
        lastLoginInstant: 0n,
      },
    },
  );
}

/** A login: an access token and a refresh token of a new session, from the issuer. */
export function startSession(
  stack: Stack,
  userId: string,
  applicationId: string = stack.realm.applicationA,
): Promise<issuerV1.StartSessionResponse> {
  return stack.call<issuerV1.StartSessionRequest, issuerV1.StartSessionResponse>(
    stack.issuerClient,
    'startSession',
    {
      tenantId: stack.realm.tenantA,
      applicationId,
      userId,
      authenticationType: 'PASSWORD',
      presenter: { ipAddress: '10.0.0.1', userAgent: 'test' },
      device: {
        description: 'Work phone',
        lastAccessedAddress: '',
        lastAccessedInstant: 0n,
        name: 'Phone',
        type: 'MOBILE',
      },
      scopes: ['offline_access'],
      dataJson: '',
      requestId: '',
    },
  );
}

/** Retries `probe` until it returns true (revocations reach validators asynchronously). */
export async function eventually(probe: () => Promise<boolean>, timeoutMs = 5000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!(await probe())) {
    if (Date.now() > until) throw new Error('the condition never held');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
