/**
 * Refresh-token workloads: each virtual client of the load generator owns one OneTimeUse
 * chain and rotates only its own token, so every call consumes a token and mints its
 * successor, with no two calls racing on one family (a race would measure refusals instead).
 *
 * The same rotation is driven at three depths: the store's Lua script called from this
 * process through ioredis (the limit), the session service's Rotate over gRPC (a unary RPC
 * per call, or carried by the stream transport through a Caller), and the issuer's Refresh
 * (issuer → session → Redis, plus an access token signed).
 */
import { randomUUID } from 'node:crypto';
import { systemClock } from '@tessera/clock';
import { commonV1, type issuerV1, type sessionV1 } from '@tessera/contracts';
import { type Caller, credentialsMetadata, unaryCall } from '@tessera/grpc-runtime';
import type { StandardRealm } from '@tessera/testing';
import {
  closeRedisClient,
  createRedisClient,
  REFRESH_TOKEN_SCRIPTS,
  type RedisClient,
  RedisRefreshTokenStore,
  type RefreshPolicy,
  waitUntilReady,
} from '../../services/session/src/store/index.js';
import type { Operation } from './load.js';

/** The chains of one workload, one per virtual client. */
export interface ChainWorkload {
  /** Rotates client `client`'s chain once; rejects unless a successor was minted. */
  readonly rotate: Operation;
}

/** What every workload needs to start its chains. */
export interface ChainOptions {
  readonly realm: StandardRealm;
  /** How many chains: the largest in-flight count the workload is measured at. */
  readonly clients: number;
  readonly deadlineMs: number;
}

const PRESENTER = { ipAddress: '127.0.0.1', userAgent: 'tessera-bench' };
const DEVICE = { description: 'bench', lastAccessedAddress: '', name: 'bench', type: 'OTHER' };
/** What the realm gives applicationA: OneTimeUse, Fixed, FusionAuth's defaults otherwise. */
const ONE_TIME_USE: RefreshPolicy = {
  expiration: 'Fixed',
  usage: 'OneTimeUse',
  timeToLiveMinutes: 43_200,
  maximumTimeToLiveMinutes: 86_400,
  gracePeriodSeconds: 0,
  revokeFamilyOnReuse: true,
};

/**
 * Chains rotated by the store itself, from this process: the Lua script through ioredis with
 * exactly the work the session service adds around it (token parsing, three HMACs, the reply's
 * decoding), and no gRPC. The client is made as the session service makes its own.
 */
export async function startDirectChains(
  options: ChainOptions & { readonly redisUrl: string; readonly pepper: Buffer },
): Promise<ChainWorkload & { close(): Promise<void> }> {
  const client: RedisClient = createRedisClient(options.redisUrl, {
    scripts: REFRESH_TOKEN_SCRIPTS,
  });
  try {
    await waitUntilReady(client, 10_000);
    const store = new RedisRefreshTokenStore(client, {
      pepper: options.pepper,
      clock: systemClock,
    });
    const { realm } = options;
    const tokens = await Promise.all(
      Array.from({ length: options.clients }, async (_, index) => {
        const created = await store.create({
          tenantId: realm.tenantA,
          applicationId: realm.applicationA,
          userId: `bench-direct-${index}`,
          policy: ONE_TIME_USE,
          device: { ...DEVICE, lastAccessedInstant: Date.now() },
          scopes: [],
          data: {},
          sessionClaims: {
            authTime: 0,
            authenticationType: 'PASSWORD',
            roles: [],
            email: '',
            emailVerified: false,
            preferredUsername: '',
          },
          presenter: PRESENTER,
        });
        return created.token;
      }),
    );
    let sent = 0;
    return {
      rotate: async (index) => {
        const outcome = await store.rotate({
          token: tokenOf(tokens, index),
          presenter: PRESENTER,
          requestId: `direct-${sent++}`,
          tenantId: realm.tenantA,
        });
        if (!outcome.ok || !outcome.rotated) {
          throw new Error(
            `a direct rotation was refused (${outcome.ok ? 'not rotated' : outcome.cause})`,
          );
        }
        tokens[index] = outcome.token;
      },
      close: () => closeRedisClient(client),
    };
  } catch (error) {
    client.disconnect();
    throw error;
  }
}

/** Chains rotated by the session service's `Rotate`, started with its `Create`. */
export async function startSessionChains(
  options: ChainOptions & {
    readonly client: sessionV1.SessionServiceClient;
    readonly apiKey: string;
  },
): Promise<ChainWorkload> {
  const { client, apiKey, deadlineMs } = options;
  const tokens = await createSessions(options);
  return rotatingChains(options.realm, tokens, 'session', (request) =>
    // A fresh Metadata per call, as every tessera client sends one.
    unaryCall(client.rotate.bind(client), request, {
      deadlineMs,
      metadata: credentialsMetadata(apiKey),
    }),
  );
}

/**
 * Chains rotated by the session service's `Rotate` through a {@link Caller} (over the stream
 * transport, as the issuer and the gateway call it), started with `Create` over `client`.
 * The caller carries its own credentials.
 */
export async function startCallerSessionChains(
  options: ChainOptions & {
    readonly client: sessionV1.SessionServiceClient;
    readonly apiKey: string;
    readonly caller: Caller<typeof sessionV1.SessionServiceService>;
  },
): Promise<ChainWorkload> {
  const tokens = await createSessions({ ...options, userPrefix: 'bench-caller-session' });
  return rotatingChains(options.realm, tokens, 'caller-session', (request) =>
    options.caller.rotate(request),
  );
}

/** Rotates chain `index` of `tokens` through `rotate`, keeping each chain's newest token. */
function rotatingChains(
  realm: StandardRealm,
  tokens: string[],
  requestIdPrefix: string,
  rotate: (request: sessionV1.RotateRequest) => Promise<sessionV1.RotateResponse>,
): ChainWorkload {
  let sent = 0;
  return {
    rotate: async (index) => {
      const response = await rotate({
        refreshToken: tokenOf(tokens, index),
        presenter: PRESENTER,
        requestId: `${requestIdPrefix}-${sent++}`,
        tenantId: realm.tenantA,
        includeUser: false,
      });
      if (!response.rotated) throw new Error('Rotate answered without rotating');
      tokens[index] = response.refreshToken;
    },
  };
}

/** What {@link startIssuerSessions} starts sessions with. */
export interface IssuerSessionOptions extends ChainOptions {
  readonly client: issuerV1.IssuerServiceClient;
  readonly apiKey: string;
  readonly directory: sessionV1.SessionServiceClient;
  readonly directoryApiKey: string;
}

/** Users get distinct names across every call of {@link startIssuerSessions}. */
let usersStarted = 0;

/**
 * Starts `options.clients` sessions with the issuer's `StartSession` for applicationA
 * (OneTimeUse in the bench's realm) and resolves with their refresh tokens. Each user is
 * first put in the session service's directory with a registration, as a login service would
 * have done, so the session starts the way it does in production (a known user, with roles).
 */
export async function startIssuerSessions(options: IssuerSessionOptions): Promise<string[]> {
  const { client, realm, apiKey, deadlineMs, directory, directoryApiKey } = options;
  return Promise.all(
    Array.from({ length: options.clients }, async () => {
      const index = usersStarted++;
      const userId = randomUUID();
      const directoryCall = () => ({ deadlineMs, metadata: credentialsMetadata(directoryApiKey) });
      await unaryCall(
        directory.upsertUser.bind(directory),
        {
          user: {
            id: userId,
            tenantId: realm.tenantA,
            email: `bench-user-${index}@bench.example`,
            username: `bench-user-${index}`,
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
        directoryCall(),
      );
      await unaryCall(
        directory.upsertRegistration.bind(directory),
        {
          tenantId: realm.tenantA,
          registration: {
            id: '',
            userId,
            applicationId: realm.applicationA,
            roles: ['admin'],
            username: '',
            dataJson: '',
            insertInstant: 0n,
            lastLoginInstant: 0n,
          },
        },
        directoryCall(),
      );
      const started = await unaryCall(
        client.startSession.bind(client),
        {
          tenantId: realm.tenantA,
          applicationId: realm.applicationA,
          userId,
          authenticationType: 'PASSWORD',
          presenter: PRESENTER,
          device: { ...DEVICE, lastAccessedInstant: BigInt(Date.now()) },
          requestId: '',
          scopes: [],
          dataJson: '',
        },
        { deadlineMs, metadata: credentialsMetadata(apiKey) },
      );
      if (started.refreshToken === '') {
        throw new Error('StartSession returned no refresh token: is the user registered?');
      }
      return started.refreshToken;
    }),
  );
}

/**
 * Sessions of {@link startIssuerSessions}, refreshed with the issuer's `Refresh`: each call
 * rotates the refresh token in Redis through the session service and signs a new access token.
 */
export async function startIssuerChains(options: IssuerSessionOptions): Promise<ChainWorkload> {
  const { client, realm, apiKey, deadlineMs } = options;
  const tokens = await startIssuerSessions(options);
  let sent = 0;
  return {
    rotate: async (index) => {
      const presented = tokenOf(tokens, index);
      const response = await unaryCall(
        client.refresh.bind(client),
        {
          tenantId: realm.tenantA,
          refreshToken: presented,
          timeToLiveSeconds: 0,
          presenter: PRESENTER,
          requestId: `issuer-${sent++}`,
        },
        { deadlineMs, metadata: credentialsMetadata(apiKey) },
      );
      // OneTimeUse: a refresh that hands the same token back did not rotate anything.
      if (response.refreshToken === presented || response.token === '') {
        throw new Error('Refresh did not rotate the refresh token (is applicationA OneTimeUse?)');
      }
      tokens[index] = response.refreshToken;
    },
  };
}

function tokenOf(tokens: readonly string[], index: number): string {
  const token = tokens[index];
  if (token === undefined) throw new Error(`no chain for virtual client ${index}`);
  return token;
}

/**
 * Starts `options.clients` OneTimeUse sessions of applicationA with the session service's
 * `Create`, one user each (`<userPrefix>-<index>`), and returns their refresh tokens.
 */
export async function createSessions(
  options: ChainOptions & {
    readonly client: sessionV1.SessionServiceClient;
    readonly apiKey: string;
    readonly userPrefix?: string;
  },
): Promise<string[]> {
  const { client, realm, apiKey, deadlineMs } = options;
  const userPrefix = options.userPrefix ?? 'bench-session';
  return Promise.all(
    Array.from({ length: options.clients }, async (_, index) => {
      const created = await unaryCall(
        client.create.bind(client),
        {
          tenantId: realm.tenantA,
          applicationId: realm.applicationA,
          userId: `${userPrefix}-${index}`,
          policy: {
            expiration: commonV1.ExpirationPolicy.EXPIRATION_POLICY_FIXED,
            usage: commonV1.UsagePolicy.USAGE_POLICY_ONE_TIME_USE,
            timeToLiveMinutes: ONE_TIME_USE.timeToLiveMinutes,
            maximumTimeToLiveMinutes: ONE_TIME_USE.maximumTimeToLiveMinutes,
            gracePeriodSeconds: ONE_TIME_USE.gracePeriodSeconds,
            revokeFamilyOnReuse: ONE_TIME_USE.revokeFamilyOnReuse,
          },
          device: { ...DEVICE, lastAccessedInstant: BigInt(Date.now()) },
          scopes: [],
          dataJson: '',
          sessionClaims: undefined,
          requestId: '',
          sourceId: '',
          startInstant: 0n,
          presenter: PRESENTER,
        },
        { deadlineMs, metadata: credentialsMetadata(apiKey) },
      );
      return created.refreshToken;
    }),
  );
}
