import { issuerV1, sessionV1 } from '@tessera/contracts';
import { createGrpcTransport, type TlsOptions } from './grpc-transport.js';
import {
  ISSUER_METHODS,
  type MethodDefinition,
  type MethodPolicies,
  type RequestOf,
  type ResponseOf,
  SESSION_METHODS,
} from './methods.js';
import { type RetryOptions, type RetryPolicy, retryPolicy, withRetries } from './retry.js';
import type { Transport } from './transport.js';

/** Settings of one call; every field overrides the client's. */
export interface CallOptions {
  /** Time budget of the call, retries included. Default: the client's `deadlineMs`. */
  readonly deadlineMs?: number | undefined;
  /** Extra request metadata; `authorization` here replaces the client's API key. */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  /** Cancels the call (or ends the stream). */
  readonly signal?: AbortSignal | undefined;
}

type RequestInput<T> = issuerV1.DeepPartial<T>;
type Unary<M> = (
  request?: RequestInput<RequestOf<M>>,
  options?: CallOptions,
) => Promise<ResponseOf<M>>;
type Stream<M> = (
  request?: RequestInput<RequestOf<M>>,
  options?: CallOptions,
) => AsyncIterable<ResponseOf<M>>;

/**
 * A promise-based client of one service: one function per RPC, named as in the generated
 * definitions (`vend`, `validate`, `watchKeys`), nothing to `.bind`. Unary RPCs resolve with the
 * response; server-streams are async iterables (`for await`). Requests are partial: fields left
 * out take their proto defaults.
 */
export type ServiceClient<D> = {
  readonly [K in keyof D]: D[K] extends { responseStream: true } ? Stream<D[K]> : Unary<D[K]>;
};

/** The issuer's client. */
export type IssuerClient = ServiceClient<typeof issuerV1.IssuerServiceService>;
/** The session service's client. */
export type SessionClient = ServiceClient<typeof sessionV1.SessionServiceService>;

/** Options of {@link createIssuerClient} and {@link createSessionClient}. */
export interface ClientOptions {
  /** `host:port`; needed unless `transport` is given. */
  readonly address?: string | undefined;
  /** Plaintext (`false`), TLS with the system's roots (`true`) or with these certificates. */
  readonly tls?: boolean | TlsOptions | undefined;
  /** Sent as `authorization` on every call. Public RPCs (keys, JWKS) need none. */
  readonly apiKey?: string | undefined;
  /** Default time budget of a call, retries included. Default 5,000 ms. */
  readonly deadlineMs?: number | undefined;
  /** Retries of idempotent RPCs after UNAVAILABLE (see `ISSUER_METHODS`, `SESSION_METHODS`). */
  readonly retry?: RetryOptions | undefined;
  /** Carries the calls; default a grpc-js channel to `address` (`createGrpcTransport`). */
  readonly transport?: Transport | undefined;
}

/** A service client plus `close()`, which closes its transport. */
export type Closable<C> = C & { close(): void };

interface Settings {
  readonly transport: Transport;
  readonly apiKey: string | undefined;
  readonly deadlineMs: number;
  readonly retry: RetryPolicy;
}

function settingsOf(options: ClientOptions): Settings {
  const deadlineMs = options.deadlineMs ?? 5_000;
  if (!Number.isInteger(deadlineMs) || deadlineMs <= 0)
    throw new RangeError(`deadlineMs must be a positive integer, got ${deadlineMs}`);
  let transport = options.transport;
  if (transport === undefined) {
    if (options.address === undefined || options.tls === undefined)
      throw new TypeError('address and tls are required unless a transport is given');
    transport = createGrpcTransport({ address: options.address, tls: options.tls });
  }
  return { transport, apiKey: options.apiKey, deadlineMs, retry: retryPolicy(options.retry) };
}

function metadataOf(settings: Settings, options: CallOptions): Record<string, string> {
  return {
    ...(settings.apiKey === undefined ? {} : { authorization: settings.apiKey }),
    ...options.metadata,
  };
}

function buildClient<D extends Record<string, MethodDefinition<never, unknown>>>(
  definition: D,
  policies: MethodPolicies<D>,
  settings: Settings,
): Closable<ServiceClient<D>> {
  const client: Record<string, unknown> = {
    close: () => settings.transport.close(),
  };
  for (const name of Object.keys(definition) as (keyof D & string)[]) {
    const method = definition[name] as MethodDefinition<unknown, unknown>;
    const policy = policies[name];
    const transportMethod = { path: method.path, idempotent: policy.idempotent };
    const encode = (request: unknown): Uint8Array =>
      method.requestSerialize(
        (policy.request.fromPartial as (o: unknown) => unknown)(request ?? {}),
      );
    const decode = (bytes: Uint8Array): unknown =>
      method.responseDeserialize(Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength));
    if (method.responseStream) {
      client[name] = async function* (request: unknown, options: CallOptions = {}) {
        const stream = settings.transport.serverStream(transportMethod, encode(request), {
          metadata: metadataOf(settings, options),
          deadline: options.deadlineMs === undefined ? undefined : Date.now() + options.deadlineMs,
          signal: options.signal,
        });
        for await (const message of stream) yield decode(message);
      };
    } else {
      client[name] = async (request: unknown, options: CallOptions = {}) => {
        const bytes = encode(request);
        const deadline = Date.now() + (options.deadlineMs ?? settings.deadlineMs);
        const callOptions = {
          deadline,
          metadata: metadataOf(settings, options),
          signal: options.signal,
        };
        const attempt = () => settings.transport.unary(transportMethod, bytes, callOptions);
        const response = policy.idempotent
          ? await withRetries(attempt, settings.retry, deadline, options.signal)
          : await attempt();
        return decode(response);
      };
    }
  }
  return client as Closable<ServiceClient<D>>;
}

/**
 * A client of the issuer (`tessera.issuer.v1.IssuerService`).
 *
 * @example
 * const issuer = createIssuerClient({ address: 'issuer:50051', tls: false, apiKey });
 * const { token } = await issuer.vend({ claimsJson: '{"sub":"user-1"}', timeToLiveSeconds: 300n });
 * const { valid, reason } = await issuer.validate({ token });
 */
export function createIssuerClient(options: ClientOptions): Closable<IssuerClient> {
  return buildClient(issuerV1.IssuerServiceService, ISSUER_METHODS, settingsOf(options));
}

/** A client of the session service (`tessera.session.v1.SessionService`). */
export function createSessionClient(options: ClientOptions): Closable<SessionClient> {
  return buildClient(sessionV1.SessionServiceService, SESSION_METHODS, settingsOf(options));
}
