import {
  type ChannelCredentials,
  type ChannelOptions,
  type MethodDefinition,
  status as Status,
} from '@grpc/grpc-js';
import type { BackoffOptions } from '@tessera/backoff';
import { type MultiplexErrors, StreamMultiplexer } from '@tessera/client';
import type { Logger } from 'pino';
import type { CallTransport, TransportCallOptions } from '../caller.js';
import { RpcStatusError } from '../rpc-status-error.js';
import { errorOfStatus, transportError } from './status-envelope.js';

/** Options of {@link StreamTransport}. */
export interface StreamTransportOptions {
  /** `host:port`. A DNS name is resolved to every address (a headless Service: every pod). */
  readonly target: string;
  readonly credentials: ChannelCredentials;
  /** grpc-js channel options of every connection (keepalive, message sizes). */
  readonly channelOptions?: ChannelOptions;
  /** Metadata of every stream, checked when it opens (the service's own API key). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Streams per backend address; 2 by default. */
  readonly streamsPerAddress?: number;
  /** Calls sent on one stream and not yet answered; the server's bound (256) by default. */
  readonly maxInFlightPerStream?: number;
  /** Calls waiting for a stream (none open, or all full); beyond, calls fail. 1,024 by default. */
  readonly maxQueued?: number;
  /** How often the DNS name is resolved again; 30 s by default. */
  readonly resolveIntervalMs?: number;
  /** Reconnect delays (the shared `@tessera/backoff`); 100 ms doubling to 5 s, jittered, by default. */
  readonly backoff?: BackoffOptions;
  /** Resolves a host name to addresses; `dns.lookup` with `all` by default. */
  readonly resolve?: (host: string) => Promise<readonly string[]>;
  readonly logger?: Logger;
}

/** Carried calls fail exactly as their unary twins would (see status-envelope.ts). */
const RUNTIME_ERRORS: MultiplexErrors<RpcStatusError> = {
  fromStatus: errorOfStatus,
  local: (code, message) => transportError(code as Status, message),
  refused: (status) => new RpcStatusError(status.code, status.details, status.metadata, undefined),
};

/**
 * Unary calls over long-lived MultiplexService streams to every replica of a backend: the
 * byte-level `StreamMultiplexer` of `@tessera/client` (picking, queueing, reconnects, drain,
 * DNS fan-out), with this package's typed methods and grpc-js-shaped errors on top.
 */
export class StreamTransport implements CallTransport {
  readonly #multiplexer: StreamMultiplexer<RpcStatusError>;

  constructor(options: StreamTransportOptions) {
    const { logger, ...rest } = options;
    this.#multiplexer = new StreamMultiplexer({
      ...rest,
      ...(logger === undefined ? {} : { logger }),
      errors: RUNTIME_ERRORS,
    });
  }

  async call<Req, Res>(
    method: MethodDefinition<Req, Res>,
    request: Req,
    options: TransportCallOptions,
  ): Promise<Res> {
    const bytes = await this.#multiplexer.call(method.path, method.requestSerialize(request), {
      deadline: options.deadline,
      metadata: options.metadata,
      signal: options.signal,
    });
    try {
      return method.responseDeserialize(
        Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength),
      );
    } catch {
      throw transportError(Status.INTERNAL, 'the response could not be decoded');
    }
  }

  /** Streams by state, for tests and diagnostics. */
  get streams(): readonly { address: string; state: string; inFlight: number }[] {
    return this.#multiplexer.streams;
  }

  close(): void {
    this.#multiplexer.close();
  }
}
