import { type ChannelOptions, status as Status } from '@grpc/grpc-js';
import type { BackoffOptions } from '@tessera/backoff';
import { TesseraClientError } from './client-error.js';
import {
  channelCredentials,
  clientChannelOptions,
  createGrpcTransport,
  REASON_KEY,
  type TlsOptions,
} from './grpc-transport.js';
import type { MultiplexErrors } from './multiplex/multiplex-errors.js';
import { reasonOfStatus } from './multiplex/multiplex-errors.js';
import { type MultiplexLogger, StreamMultiplexer } from './multiplex/stream-multiplexer.js';
import type {
  Transport,
  TransportCallOptions,
  TransportMethod,
  TransportStreamOptions,
} from './transport.js';

/** Options of {@link createStreamTransport}. */
export interface StreamTransportOptions {
  /** `host:port`. A DNS name is resolved to every address (a headless Service: every pod). */
  readonly address: string;
  /** Plaintext (`false`), TLS with the system's roots (`true`) or with these certificates. */
  readonly tls: boolean | TlsOptions;
  /**
   * The API key, sent once as the `authorization` metadata of every stream: the server
   * authenticates a stream when it opens, so it is required here (public RPCs included).
   */
  readonly apiKey: string;
  /** Streams per backend address; 2 by default. */
  readonly streamsPerAddress?: number | undefined;
  /** Calls sent on one stream and not yet answered; the server's bound (256) by default. */
  readonly maxInFlightPerStream?: number | undefined;
  /** Calls waiting for a stream (none open, or all full); beyond, calls fail. 1,024 by default. */
  readonly maxQueued?: number | undefined;
  /** How often the DNS name is resolved again; 30 s by default. */
  readonly resolveIntervalMs?: number | undefined;
  /** Reconnect delays; 100 ms doubling to 5 s, jittered, by default. */
  readonly backoff?: BackoffOptions | undefined;
  /** grpc-js channel options of every connection; merged over keepalive and message limits. */
  readonly channelOptions?: ChannelOptions | undefined;
  /** Where reconnects and drains are reported (a pino logger fits); silent by default. */
  readonly logger?: MultiplexLogger | undefined;
  /**
   * Carries what the stream does not: server-streams (`watchKeys`, `watchRevocations`) and
   * unary methods the server answered UNIMPLEMENTED on the stream. Default: a
   * `createGrpcTransport` to the same address; closed with this transport.
   */
  readonly fallback?: Transport | undefined;
}

/** A carried call's failure before it is named after its method. */
interface Failure {
  readonly grpcCode: number;
  readonly message: string;
  readonly reason?: string | undefined;
}

/** Failures of carried calls, read exactly as the unary transport reads a status. */
const FAILURES: MultiplexErrors<Failure> = {
  fromStatus: (status) => ({
    grpcCode: status.code in Status ? status.code : Status.UNKNOWN,
    message: status.message,
    reason: reasonOfStatus(status),
  }),
  local: (grpcCode, message) => ({ grpcCode, message }),
  refused: (status) => {
    const reason = status.metadata.get(REASON_KEY)[0];
    return {
      grpcCode: status.code,
      message: status.details,
      reason: typeof reason === 'string' ? reason : undefined,
    };
  },
};

function isFailure(error: unknown): error is Failure {
  return (
    typeof error === 'object' &&
    error !== null &&
    typeof (error as Partial<Failure>).grpcCode === 'number' &&
    typeof (error as Partial<Failure>).message === 'string'
  );
}

/**
 * Unary calls multiplexed over long-lived `tessera.transport.v1.MultiplexService` streams,
 * several per backend address and to every address the name resolves to, reconnected with
 * backoff and moved off a stream whose server drains. One call costs a fraction of a unary
 * grpc-js call (see the package README). Server-streams go over the `fallback` transport, and
 * so does a unary method the server does not carry on the stream: its first UNIMPLEMENTED
 * answer there (the server did no work) sends that call and every later call of the method
 * over the fallback.
 */
export function createStreamTransport(options: StreamTransportOptions): Transport {
  if (typeof options.apiKey !== 'string' || options.apiKey === '')
    throw new TypeError('apiKey is required: the server authenticates each stream when it opens');
  const fallback =
    options.fallback ??
    createGrpcTransport({
      address: options.address,
      tls: options.tls,
      channelOptions: options.channelOptions,
    });
  const multiplexer = new StreamMultiplexer<Failure>({
    target: options.address,
    credentials: channelCredentials(options.tls),
    channelOptions: clientChannelOptions(options.channelOptions),
    metadata: { authorization: options.apiKey },
    ...(options.streamsPerAddress === undefined
      ? {}
      : { streamsPerAddress: options.streamsPerAddress }),
    ...(options.maxInFlightPerStream === undefined
      ? {}
      : { maxInFlightPerStream: options.maxInFlightPerStream }),
    ...(options.maxQueued === undefined ? {} : { maxQueued: options.maxQueued }),
    ...(options.resolveIntervalMs === undefined
      ? {}
      : { resolveIntervalMs: options.resolveIntervalMs }),
    ...(options.backoff === undefined ? {} : { backoff: options.backoff }),
    logger: options.logger,
    errors: FAILURES,
  });
  const notCarried = new Set<string>();

  /** The call's own metadata; the stream already sends the key, so the same key is left out. */
  const callMetadata = (metadata: Readonly<Record<string, string>>) => {
    if (metadata.authorization !== options.apiKey) return metadata;
    const { authorization: _sameKey, ...rest } = metadata;
    return rest;
  };

  return {
    async unary(method: TransportMethod, request: Uint8Array, callOptions: TransportCallOptions) {
      if (notCarried.has(method.path)) return fallback.unary(method, request, callOptions);
      try {
        return await multiplexer.call(method.path, request, {
          deadline: callOptions.deadline,
          metadata: callMetadata(callOptions.metadata),
          signal: callOptions.signal,
        });
      } catch (error) {
        if (!isFailure(error)) throw error;
        if (error.grpcCode === Status.UNIMPLEMENTED) {
          notCarried.add(method.path);
          return fallback.unary(method, request, callOptions);
        }
        throw new TesseraClientError({ ...error, method: method.path });
      }
    },
    serverStream(
      method: TransportMethod,
      request: Uint8Array,
      streamOptions: TransportStreamOptions,
    ) {
      return fallback.serverStream(method, request, streamOptions);
    },
    close() {
      multiplexer.close();
      fallback.close();
    },
  };
}
