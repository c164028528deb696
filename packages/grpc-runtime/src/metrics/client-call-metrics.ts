import {
  type Interceptor as ClientInterceptor,
  InterceptingCall,
  type InterceptorOptions,
  type NextCall,
  status as Status,
  type StatusObject,
} from '@grpc/grpc-js';
import type { Registry } from 'prom-client';
import type { CallTransport } from '../caller.js';
import { isGrpcStatusLike } from '../grpc-status-like.js';
import { type CallTally, callTally } from './call-tally.js';
import type { GrpcType } from './grpc-metric-families.js';

function grpcType(requestStream: boolean, responseStream: boolean): GrpcType {
  if (requestStream) return responseStream ? 'bidi_stream' : 'client_stream';
  return responseStream ? 'server_stream' : 'unary';
}

/** The method of a call, as both grpc-js and ts-proto's service definitions describe it. */
interface CalledMethod {
  readonly path: string;
  readonly requestStream: boolean;
  readonly responseStream: boolean;
}

/**
 * Counts a call as started in the registry's client-side tally, which every client and
 * transport of the registry shares; the returned function records its end with the status.
 */
function startCall(tally: CallTally, definition: CalledMethod): (code: number) => void {
  const method = tally.method(
    definition.path,
    grpcType(definition.requestStream, definition.responseStream),
  );
  const started = method.start();
  return (code) => method.finish(started, code);
}

/**
 * A grpc-js client interceptor that records the calls this process makes, with the same
 * conventions as the server side: `grpc_client_started_total`, `grpc_client_handled_total`
 * (with `grpc_code` by name), `grpc_client_handling_seconds` and `grpc_client_in_flight_calls`,
 * labelled `grpc_type`, `grpc_service`, `grpc_method`. Give it to a generated client as
 * `{ interceptors: [clientCallMetrics(registry)] }`; one instance per registry serves every
 * client of the process. Counts are kept in plain numbers and pushed into the counters and the
 * gauge when they are scraped (see call-tally.ts).
 */
export function clientCallMetrics(registry: Registry): ClientInterceptor {
  const tally = callTally(registry, 'client');
  return (options: InterceptorOptions, nextCall: NextCall) => {
    const finish = startCall(tally, options.method_definition);
    return new InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        next(metadata, {
          onReceiveStatus(status: StatusObject, nextStatus) {
            finish(status.code);
            nextStatus(status);
          },
        });
      },
    });
  };
}

/**
 * The same `grpc_client_*` metrics for calls carried by a {@link CallTransport}: over the
 * stream transport many calls share one long-lived stream, so a channel interceptor would
 * see only the stream; this counts each carried call under its own method, `grpc_type`
 * `unary`, exactly as the unary transport's calls are counted.
 */
export function measuredTransport(transport: CallTransport, registry: Registry): CallTransport {
  const tally = callTally(registry, 'client');
  return {
    call(method, request, options) {
      const finish = startCall(tally, method);
      return transport.call(method, request, options).then(
        (response) => {
          finish(0);
          return response;
        },
        (error: unknown) => {
          finish(isGrpcStatusLike(error) ? error.code : Status.UNKNOWN);
          throw error;
        },
      );
    },
    close: () => transport.close(),
  };
}
