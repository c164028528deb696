import {
  type Interceptor as ClientInterceptor,
  type ClientOptions,
  InterceptingCall,
  type MethodDefinition,
  status as Status,
} from '@grpc/grpc-js';
import type { Tracing } from '@tessera/tracing';
import type { CallTransport, TransportCallOptions } from './caller.js';
import { isGrpcStatusLike } from './grpc-status-like.js';

const UNKNOWN = Status.UNKNOWN;

/**
 * A grpc-js client interceptor that wraps every outgoing call made inside a trace in a client
 * span and sends the span's `traceparent` in the call's metadata. Calls made outside any
 * trace (the key and revocation streams a service opens at start) pass through untouched.
 */
export function tracingClientInterceptor(tracing: Tracing): ClientInterceptor {
  return (options, nextCall) => {
    const rpc = tracing.startRpcClientSpan(options.method_definition.path);
    return new InterceptingCall(nextCall(options), {
      start(metadata, _listener, next) {
        const headers: Record<string, string> = {};
        rpc.injectInto(headers);
        for (const [name, value] of Object.entries(headers)) metadata.set(name, value);
        next(metadata, {
          onReceiveStatus(status, nextStatus) {
            rpc.end(status.code, status.details);
            nextStatus(status);
          },
        });
      },
    });
  };
}

/**
 * Client options with the tracing interceptor added when tracing is on; `options` unchanged
 * (no interceptor at all) when it is off.
 */
export function withClientTracing(options: ClientOptions, tracing: Tracing): ClientOptions {
  if (!tracing.enabled) return options;
  return {
    ...options,
    interceptors: [...(options.interceptors ?? []), tracingClientInterceptor(tracing)],
  };
}

/**
 * A call transport whose calls made inside a trace each get a client span, with the span's
 * `traceparent` in the call's own metadata: over unary RPCs that is the call's gRPC metadata,
 * over the multiplexed stream the metadata map of the call's envelope, which the server merges
 * into the carried call's metadata (so its pipeline continues the trace either way). The
 * transport itself when tracing is off.
 */
export function withTransportTracing(transport: CallTransport, tracing: Tracing): CallTransport {
  if (!tracing.enabled) return transport;
  return {
    call<Req, Res>(
      method: MethodDefinition<Req, Res>,
      request: Req,
      options: TransportCallOptions,
    ): Promise<Res> {
      const rpc = tracing.startRpcClientSpan(method.path);
      const headers: Record<string, string> = {};
      rpc.injectInto(headers);
      const traced =
        Object.keys(headers).length === 0
          ? options
          : { ...options, metadata: { ...options.metadata, ...headers } };
      return transport.call(method, request, traced).then(
        (response) => {
          rpc.end(0);
          return response;
        },
        (error: unknown) => {
          if (isGrpcStatusLike(error)) rpc.end(error.code, error.details);
          else rpc.end(UNKNOWN, error instanceof Error ? error.message : undefined);
          throw error;
        },
      );
    },
    close: () => transport.close(),
  };
}
