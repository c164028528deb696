import type { ServiceDefinition } from '@grpc/grpc-js';
import type { CallContext } from './call-context.js';

/** An async unary handler: resolve with the response or throw (ideally a TesseraError). */
export type UnaryHandler<Req, Res> = (request: Req, ctx: CallContext) => Promise<Res>;

/**
 * A server-streaming handler. Each yielded message is written with backpressure; the call
 * ends OK when the iterable ends. When the client cancels (or the server shuts down) the
 * runtime stops pulling and calls `return()`, so an async generator's `finally` runs once it
 * is suspended at a `yield`; code that waits for events must also watch `ctx.signal`.
 */
export type ServerStreamHandler<Req, Res> = (request: Req, ctx: CallContext) => AsyncIterable<Res>;

/** The request message type of a method definition, from its deserializer. */
export type RequestOf<M> = M extends { requestDeserialize: (bytes: Buffer) => infer Req }
  ? Req
  : never;

/** The response message type of a method definition, from its serializer. */
export type ResponseOf<M> = M extends { responseSerialize: (value: infer Res) => Buffer }
  ? Res
  : never;

/**
 * The handler kind a method needs, picked by its streaming flags. Client-streaming and
 * bidirectional methods are not supported (`never`): no tessera contract has one.
 */
export type MethodHandler<M> = M extends { requestStream: false; responseStream: false }
  ? UnaryHandler<RequestOf<M>, ResponseOf<M>>
  : M extends { requestStream: false; responseStream: true }
    ? ServerStreamHandler<RequestOf<M>, ResponseOf<M>>
    : never;

/**
 * Async handlers for every method of a ts-proto `outputServices=grpc-js` definition, e.g.
 * `AsyncServiceHandlers<typeof issuerV1.IssuerServiceService>`. Every method is required,
 * so a method added to the contract fails to compile until it is implemented.
 */
export type AsyncServiceHandlers<D extends ServiceDefinition> = {
  readonly [K in keyof D]: MethodHandler<D[K]>;
};
