import {
  type handleBidiStreamingCall,
  Metadata,
  type ServerDuplexStream,
  status as Status,
} from '@grpc/grpc-js';
import type { transportV1 } from '@tessera/contracts';
import { TesseraError } from '@tessera/errors';
import { runtimeStatusError, toRpcStatusError } from '../error-mapping.js';
import { type Chain, composeInterceptors } from '../interceptor.js';
import type { CallPipeline } from '../pipeline.js';
import type { RpcStatusError } from '../rpc-status-error.js';
import type { UnaryMethodEntry } from '../service-registration.js';
import { type CarriedCallScope, openCarriedCall } from './carried-call.js';
import { statusOfError } from './status-envelope.js';

/** Options of a server's MultiplexService (see `GrpcServerOptions.multiplex`). */
export interface MultiplexServerOptions {
  /**
   * Checks the stream's own metadata when it opens; throws (a TesseraError, usually
   * UNAUTHENTICATED) to refuse the stream. Every carried call is still authorized by the
   * server's interceptors, like its unary twin.
   */
  readonly authenticate: (metadata: Metadata) => void;
  /** Unanswered calls one stream may carry; the excess fails with IN_FLIGHT_LIMIT. 256 by default. */
  readonly maxInFlightPerStream?: number;
}

/** Default bound on unanswered calls per stream. */
export const DEFAULT_MAX_IN_FLIGHT_PER_STREAM = 256;

// Per-call metadata is for correlation and forwarded credentials, not a second payload.
const MAX_CALL_METADATA_ENTRIES = 32;

type Exchange = ServerDuplexStream<transportV1.ExchangeRequest, transportV1.ExchangeResponse>;

/** A method a stream may carry, with its interceptor chain composed once for every stream. */
interface CarriedMethod {
  readonly definition: UnaryMethodEntry['definition'];
  readonly chain: Chain;
}

/**
 * The Exchange handler: authenticates the stream once, then runs each carried call through
 * the server's full interceptor chain and the method's own handler, exactly as the unary
 * adapter does, and answers with one Result per call. On shutdown it sends Drain, finishes
 * the calls it accepted, and ends the stream.
 */
export function multiplexHandler(
  methods: ReadonlyMap<string, UnaryMethodEntry>,
  pipeline: CallPipeline,
  options: MultiplexServerOptions,
): handleBidiStreamingCall<transportV1.ExchangeRequest, transportV1.ExchangeResponse> {
  const maxInFlight = options.maxInFlightPerStream ?? DEFAULT_MAX_IN_FLIGHT_PER_STREAM;
  const carried = new Map<string, CarriedMethod>();
  for (const [path, entry] of methods) {
    carried.set(path, {
      definition: entry.definition,
      chain: composeInterceptors(pipeline.interceptors, (request, ctx) =>
        entry.handler(request, ctx),
      ),
    });
  }
  return (stream) => {
    try {
      if (pipeline.shutdownSignal.aborted) {
        throw new TesseraError('SHUTTING_DOWN', 'server is shutting down');
      }
      options.authenticate(stream.metadata);
    } catch (error) {
      const status = toRpcStatusError(error, pipeline.logger);
      pipeline.logger.warn({ code: Status[status.code], reason: status.reason }, 'stream refused');
      stream.emit('error', status);
      return;
    }
    serveStream(stream, carried, pipeline, maxInFlight);
  };
}

function serveStream(
  stream: Exchange,
  methods: ReadonlyMap<string, CarriedMethod>,
  pipeline: CallPipeline,
  maxInFlight: number,
): void {
  const inFlight = new Map<number, CarriedCallScope>();
  const peer = stream.getPeer();
  let draining = false;
  let inputEnded = false;
  let finished = false;

  const finish = () => {
    if (finished) return;
    finished = true;
    pipeline.shutdownSignal.removeEventListener('abort', onShutdown);
    stream.end();
  };
  const finishWhenIdle = () => {
    if ((draining || inputEnded) && inFlight.size === 0) finish();
  };
  const send = (message: transportV1.ExchangeResponse) => {
    if (!finished && !stream.cancelled) stream.write(message);
  };
  const answer = (requestId: number, outcome: transportV1.Result['outcome']) =>
    send({ kind: { $case: 'result', value: { requestId, outcome } } });
  const fail = (requestId: number, error: RpcStatusError) =>
    answer(requestId, { $case: 'error', value: statusOfError(error) });

  const onShutdown = () => {
    if (draining) return;
    draining = true;
    send({ kind: { $case: 'drain', value: { reason: 'shutting down' } } });
    finishWhenIdle();
  };
  pipeline.shutdownSignal.addEventListener('abort', onShutdown);

  const startCall = (call: transportV1.Call) => {
    const { requestId } = call;
    if (inFlight.has(requestId)) {
      // The client broke the envelope's one rule; the call already running keeps the id.
      fail(requestId, runtimeStatusError('INVALID_ARGUMENT', 'request id is already in use'));
      return;
    }
    if (inFlight.size >= maxInFlight) {
      fail(
        requestId,
        runtimeStatusError(
          'IN_FLIGHT_LIMIT',
          `the stream already carries ${maxInFlight} unanswered calls`,
        ),
      );
      return;
    }
    const entry = methods.get(call.method);
    if (entry === undefined) {
      fail(requestId, runtimeStatusError('UNIMPLEMENTED', `${call.method} is not served here`));
      return;
    }
    let request: unknown;
    let metadata: Metadata;
    try {
      metadata = callMetadata(stream.metadata, call.metadata);
      request = entry.definition.requestDeserialize(Buffer.from(call.request));
    } catch (error) {
      const message =
        error instanceof TesseraError ? error.message : 'the request could not be decoded';
      fail(requestId, runtimeStatusError('INVALID_ARGUMENT', message));
      return;
    }
    const scope = openCarriedCall(pipeline, call.method, metadata, peer, call.timeoutMs);
    inFlight.set(requestId, scope);
    entry
      .chain(request, scope.ctx)
      .then(
        (response) => {
          answer(requestId, {
            $case: 'response',
            value: entry.definition.responseSerialize(response),
          });
        },
        (error: unknown) => fail(requestId, toRpcStatusError(error, scope.ctx.log)),
      )
      .catch((error: unknown) => scope.ctx.log.error({ err: error }, 'failed to answer a call'))
      .finally(() => {
        scope.close();
        inFlight.delete(requestId);
        finishWhenIdle();
      });
  };

  stream.on('data', (message: transportV1.ExchangeRequest) => {
    // Once the stream is finished nothing is answered, so nothing may run either: the client
    // sends calls it had in flight here to another stream (they were never started).
    if (finished) return;
    const kind = message.kind;
    if (kind?.$case === 'call') startCall(kind.value);
    else if (kind?.$case === 'cancel') inFlight.get(kind.value.requestId)?.cancel();
  });
  stream.on('end', () => {
    inputEnded = true;
    finishWhenIdle();
  });
  stream.on('cancelled', () => {
    // The client went away: nobody reads these answers any more.
    for (const scope of inFlight.values()) scope.cancel();
    finished = true;
    pipeline.shutdownSignal.removeEventListener('abort', onShutdown);
  });
  stream.on('error', () => {
    // A broken stream is reported by 'cancelled'; without a listener it would throw.
  });
  // Headers tell the client the stream was accepted, before any call is answered.
  stream.sendMetadata(new Metadata());
  if (pipeline.shutdownSignal.aborted) onShutdown();
}

/**
 * The metadata one carried call runs with: the stream's (its credentials) with the call's
 * own entries on top. Keys must be legal lowercase ASCII metadata keys without the reserved
 * `grpc-` prefix or the binary `-bin` suffix.
 */
function callMetadata(
  streamMetadata: Metadata,
  entries: Readonly<Record<string, string>>,
): Metadata {
  const keys = Object.keys(entries);
  if (keys.length === 0) return streamMetadata;
  if (keys.length > MAX_CALL_METADATA_ENTRIES) {
    throw new TesseraError(
      'INVALID_ARGUMENT',
      `a call carries at most ${MAX_CALL_METADATA_ENTRIES} metadata entries`,
    );
  }
  const metadata = streamMetadata.clone();
  for (const key of keys) {
    if (key.startsWith('grpc-') || key.endsWith('-bin') || !/^[0-9a-z_.-]{1,64}$/.test(key)) {
      throw new TesseraError('INVALID_ARGUMENT', 'call metadata has an illegal key');
    }
    const value = entries[key] ?? '';
    if (!/^[\x20-\x7e]*$/.test(value) || value.length > 8 * 1024) {
      throw new TesseraError('INVALID_ARGUMENT', `call metadata ${key} has an illegal value`);
    }
    metadata.set(key, value);
  }
  return metadata;
}
