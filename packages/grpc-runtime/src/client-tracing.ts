import {
  type Interceptor as ClientInterceptor,
  type ClientOptions,
  InterceptingCall,
} from '@grpc/grpc-js';
import type { Tracing } from '@tessera/tracing';

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
