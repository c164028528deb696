import { type MethodDefinition, status as Status } from '@grpc/grpc-js';
import {
  type MultiplexErrors,
  StreamMultiplexer,
  type StreamMultiplexerOptions,
} from '@tessera/client';
import type { Logger } from 'pino';
import type { CallTransport, TransportCallOptions } from '../caller.js';
import { RpcStatusError } from '../rpc-status-error.js';
import { errorOfStatus, transportError } from './status-envelope.js';

/**
 * Options of {@link StreamTransport}: the multiplexer's (target, credentials, streams per
 * address, bounds, backoff, DNS), with this package's pino logger; errors are the runtime's own.
 */
export type StreamTransportOptions = Omit<
  StreamMultiplexerOptions<RpcStatusError>,
  'errors' | 'logger'
> & { readonly logger?: Logger };

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
