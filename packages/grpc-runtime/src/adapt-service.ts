import type {
  handleServerStreamingCall,
  handleUnaryCall,
  MethodDefinition,
  ServiceDefinition,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { openCall } from './call-scope.js';
import { toRpcStatusError } from './error-mapping.js';
import type { AsyncServiceHandlers, ServerStreamHandler, UnaryHandler } from './handler-types.js';
import { composeInterceptors, type Next, runInterceptors } from './interceptor.js';
import type { CallPipeline } from './pipeline.js';
import { writeStream } from './stream-writer.js';

/**
 * Adapts async handlers to grpc-js callbacks: the only place in tessera that settles a
 * grpc-js call, so each call is answered exactly once, through the whole interceptor chain.
 * Throws at startup for a missing handler or a client-streaming/bidirectional method.
 */
export function adaptService<D extends ServiceDefinition>(
  definition: D,
  handlers: AsyncServiceHandlers<D>,
  pipeline: CallPipeline,
): UntypedServiceImplementation {
  const byName = handlers as unknown as Readonly<Record<string, unknown>>;
  const methods: [string, MethodDefinition<unknown, unknown>][] = Object.entries(definition);
  const implementation: UntypedServiceImplementation = {};
  for (const [name, method] of methods) {
    const handler = byName[name];
    if (typeof handler !== 'function') {
      throw new Error(`no handler for ${method.path}`);
    }
    if (method.requestStream) {
      throw new Error(`${method.path}: client-streaming and bidirectional calls are not supported`);
    }
    implementation[name] = method.responseStream
      ? adaptServerStream(method.path, handler as ServerStreamHandler<unknown, unknown>, pipeline)
      : adaptUnary(method.path, handler as UnaryHandler<unknown, unknown>, pipeline);
  }
  return implementation;
}

function adaptUnary(
  path: string,
  handler: UnaryHandler<unknown, unknown>,
  pipeline: CallPipeline,
): handleUnaryCall<unknown, unknown> {
  // Composed once per method: a unary call, the hot path, allocates nothing for the chain.
  const chain = composeInterceptors(pipeline.interceptors, (request, ctx) => handler(request, ctx));
  return (call, callback) => {
    const scope = openCall(pipeline, path, 'unary', call);
    chain(call.request, scope.ctx)
      .then(
        (response) => {
          scope.close();
          callback(null, response);
        },
        (error: unknown) => {
          scope.close();
          callback(toRpcStatusError(error, scope.ctx.log));
        },
      )
      .catch((error: unknown) => scope.ctx.log.error({ err: error }, 'failed to answer a call'));
  };
}

function adaptServerStream(
  path: string,
  handler: ServerStreamHandler<unknown, unknown>,
  pipeline: CallPipeline,
): handleServerStreamingCall<unknown, unknown> {
  return (call) => {
    const scope = openCall(pipeline, path, 'server-stream', call);
    // The terminal writes to this call, so a stream's chain is its own: streams are few and
    // long-lived, unlike unary calls.
    const terminal: Next = (request, ctx) =>
      writeStream(handler(request, ctx), call, ctx.signal, ctx.log);
    runInterceptors(pipeline.interceptors, call.request, scope.ctx, terminal)
      .then(
        () => {
          scope.close();
          call.end();
        },
        (error: unknown) => {
          scope.close();
          // grpc-js turns an 'error' event on a server-stream into its final status.
          if (!call.cancelled) call.emit('error', toRpcStatusError(error, scope.ctx.log));
        },
      )
      .catch((error: unknown) => scope.ctx.log.error({ err: error }, 'failed to end a stream'));
  };
}
