import {
  type ChannelCredentials,
  type ChannelOptions,
  Client,
  Metadata,
  type MethodDefinition,
  type ServiceDefinition,
  status as Status,
} from '@grpc/grpc-js';
import type { RequestOf, ResponseOf } from './handler-types.js';
import { transportError } from './multiplex/status-envelope.js';

/** What one call through a {@link CallTransport} needs besides its request. */
export interface TransportCallOptions {
  /** Epoch milliseconds after which the call fails with DEADLINE_EXCEEDED. */
  readonly deadline: number;
  /** Per-call metadata (`x-request-id`, a forwarded `authorization`, `traceparent`). */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  /** Cancels the call: the promise rejects with CANCELLED and the server's work is aborted. */
  readonly signal?: AbortSignal | undefined;
}

/**
 * Carries unary calls to one backend: over unary RPCs ({@link unaryTransport}) or over
 * multiplexed streams (`StreamTransport`). Failures reject with an error shaped like a
 * grpc-js ServiceError (code, details, metadata with the status details), whichever the
 * transport, so `readErrorDetails` reads both.
 */
export interface CallTransport {
  call<Req, Res>(
    method: MethodDefinition<Req, Res>,
    request: Req,
    options: TransportCallOptions,
  ): Promise<Res>;
  /** Ends every connection; calls still running reject. */
  close(): void;
}

/** Options of one call made through a {@link Caller}. */
export interface CallerCallOptions {
  /** Time budget of this call; the caller's default when omitted. */
  readonly deadlineMs?: number;
  /** Epoch ms the call must not outlive, e.g. `ctx.deadline` of the call being served. */
  readonly parentDeadline?: number | undefined;
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  readonly signal?: AbortSignal | undefined;
}

type UnaryKeys<D> = {
  [K in keyof D]: D[K] extends { requestStream: false; responseStream: false } ? K : never;
}[keyof D];

/**
 * Promise-returning methods for every unary RPC of a ts-proto service definition, e.g.
 * `Caller<typeof issuerV1.IssuerServiceService>` has `vend(request, options?)`. No `.bind`,
 * always a deadline, and the same shape over either transport.
 */
export type Caller<D extends ServiceDefinition> = {
  readonly [K in UnaryKeys<D>]: (
    request: RequestOf<D[K]>,
    options?: CallerCallOptions,
  ) => Promise<ResponseOf<D[K]>>;
};

/** Defaults of a {@link Caller}. */
export interface CallerOptions {
  /** Budget of each call unless the call says otherwise. */
  readonly deadlineMs: number;
  /** Metadata of every call (under the call's own). */
  readonly metadata?: Readonly<Record<string, string>>;
}

/** Builds a {@link Caller} for `definition` over `transport`. */
export function createCaller<D extends ServiceDefinition>(
  definition: D,
  transport: CallTransport,
  options: CallerOptions,
): Caller<D> {
  const caller: Record<string, unknown> = {};
  const methods: [string, MethodDefinition<unknown, unknown>][] = Object.entries(definition);
  for (const [name, method] of methods) {
    if (method.requestStream || method.responseStream) continue;
    caller[name] = (request: unknown, callOptions: CallerCallOptions = {}) => {
      let deadline = Date.now() + (callOptions.deadlineMs ?? options.deadlineMs);
      if (callOptions.parentDeadline !== undefined) {
        deadline = Math.min(deadline, callOptions.parentDeadline);
      }
      const metadata =
        options.metadata === undefined
          ? callOptions.metadata
          : callOptions.metadata === undefined
            ? options.metadata
            : { ...options.metadata, ...callOptions.metadata };
      return transport.call(method, request, {
        deadline,
        metadata,
        signal: callOptions.signal,
      });
    };
  }
  return caller as Caller<D>;
}

/**
 * Unary RPCs over one grpc-js channel: the public contract's own path, for callers that set
 * `unary` (or cannot use streams). `metadata` is sent with every call, under the call's own.
 */
export function unaryTransport(
  address: string,
  credentials: ChannelCredentials,
  channelOptions: ChannelOptions,
  metadata: Readonly<Record<string, string>> = {},
): CallTransport {
  const client = new Client(address, credentials, channelOptions);
  return {
    call<Req, Res>(
      method: MethodDefinition<Req, Res>,
      request: Req,
      options: TransportCallOptions,
    ): Promise<Res> {
      const { signal } = options;
      if (signal?.aborted) {
        return Promise.reject(transportError(Status.CANCELLED, 'Cancelled on client'));
      }
      const grpcMetadata = new Metadata();
      for (const [key, value] of Object.entries(metadata)) grpcMetadata.set(key, value);
      for (const [key, value] of Object.entries(options.metadata ?? {})) {
        grpcMetadata.set(key, value);
      }
      return new Promise<Res>((resolve, reject) => {
        const onAbort = () => call.cancel();
        const call = client.makeUnaryRequest(
          method.path,
          method.requestSerialize,
          method.responseDeserialize,
          request,
          grpcMetadata,
          { deadline: options.deadline },
          (error, response) => {
            signal?.removeEventListener('abort', onAbort);
            if (error) reject(error);
            else resolve(response as Res);
          },
        );
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    close: () => client.close(),
  };
}

/** The four-argument form every generated grpc-js client method has. */
type ClientMethod = (
  request: unknown,
  metadata: Metadata,
  options: { deadline: number },
  callback: (error: unknown, response: unknown) => void,
) => { cancel(): void };

/**
 * Unary calls through an existing generated client (a ts-proto `XServiceClient`, or a stand-in
 * with the same methods), found by method name; it is not closed by `close()`.
 */
export function clientTransport(client: object): CallTransport {
  const methods = client as Record<string, unknown>;
  return {
    call<Req, Res>(
      method: MethodDefinition<Req, Res>,
      request: Req,
      options: TransportCallOptions,
    ): Promise<Res> {
      const name = method.path.slice(method.path.lastIndexOf('/') + 1);
      const target = methods[name.charAt(0).toLowerCase() + name.slice(1)];
      if (typeof target !== 'function') {
        return Promise.reject(transportError(Status.UNIMPLEMENTED, `no client method for ${name}`));
      }
      const grpcMetadata = new Metadata();
      for (const [key, value] of Object.entries(options.metadata ?? {})) {
        grpcMetadata.set(key, value);
      }
      return new Promise<Res>((resolve, reject) => {
        (target as ClientMethod).call(
          client,
          request,
          grpcMetadata,
          { deadline: options.deadline },
          (error, response) => (error ? reject(error) : resolve(response as Res)),
        );
      });
    },
    close() {},
  };
}
