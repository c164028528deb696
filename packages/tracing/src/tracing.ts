import type { IncomingMessage, ServerResponse } from 'node:http';
import {
  type Attributes,
  type Context,
  context,
  defaultTextMapGetter,
  defaultTextMapSetter,
  INVALID_SPAN_CONTEXT,
  ROOT_CONTEXT,
  type Span,
  SpanKind,
  SpanStatusCode,
  type TextMapPropagator,
  type Tracer,
  trace,
} from '@opentelemetry/api';
import type { HeaderSink, HeaderSource } from './carriers.js';
import { isRpcFailure } from './rpc-status.js';

/** An outgoing call's span, and the context to send along with the call. */
export interface RpcClientSpan {
  /** The span (a non-recording one when the call is not traced). */
  readonly span: Span;
  /**
   * Writes this span's context (`traceparent`, and `tracestate` / `baggage` when present) into
   * `carrier`: gRPC metadata, or the metadata map of a stream envelope. Nothing is written when
   * the call is not part of a trace.
   */
  injectInto(carrier: HeaderSink): void;
  /** Ends the span with the call's gRPC status code (0 = OK). Only the first call counts. */
  end(code: number, message?: string): void;
}

/** A served call's span. */
export interface RpcServerSpan {
  readonly span: Span;
  /**
   * Runs `fn` with this span active: log lines, Redis commands and outgoing calls made inside
   * (synchronously or in anything it awaits) belong to it.
   */
  run<T>(fn: () => T): T;
  /** Ends the span with the call's gRPC status code (0 = OK). Only the first call counts. */
  end(code: number, message?: string): void;
}

/** A request listener of `node:http`. */
export type RequestListener = (request: IncomingMessage, response: ServerResponse) => void;

/**
 * Tracing for one service. Built by `createTracing` from the `OTEL_*` settings; when tracing
 * is off every method is a no-op that allocates nothing, and callers can skip installing hooks
 * altogether by checking `enabled`.
 */
export interface Tracing {
  readonly enabled: boolean;
  /**
   * A client span for the RPC `path` (`/tessera.session.v1.SessionService/Rotate`), child of
   * the active span. Outside any trace it is a no-op: background streams start no traces.
   */
  startRpcClientSpan(path: string, attributes?: Attributes): RpcClientSpan;
  /**
   * A server span for the RPC `path`, continuing the trace whose context `carrier` holds
   * (gRPC metadata or a stream envelope's metadata map); a new trace when it holds none or a
   * malformed one.
   */
  startRpcServerSpan(path: string, carrier: HeaderSource, attributes?: Attributes): RpcServerSpan;
  /**
   * A client span of a dependency (a Redis command) under the active span, or undefined when
   * no recorded span is active, so commands outside a traced call cost nothing.
   */
  startDependencySpan(name: string, attributes: Attributes): Span | undefined;
  /**
   * Wraps an HTTP request listener: each request gets a server span continuing the caller's
   * `traceparent`, active for everything the listener does with the request. Requests for
   * which `untraced` answers true (health probes, metrics scrapes) get none. The listener
   * itself when tracing is off.
   */
  traceRequests(
    listener: RequestListener,
    untraced?: (request: IncomingMessage) => boolean,
  ): RequestListener;
  /** Names the request's server span after the matched route (`POST /api/jwt/refresh`). */
  setHttpRoute(request: IncomingMessage, route: string): void;
  /** The header names trace context travels in (to copy them out of gRPC metadata). */
  readonly propagationFields: readonly string[];
  /**
   * A pino `mixin` adding `trace_id` and `span_id` to every line written inside a span;
   * undefined when tracing is off, so loggers pay nothing.
   */
  readonly logMixin: (() => TraceLogFields) | undefined;
  /** Exports what is buffered and stops; later spans are dropped. */
  shutdown(): Promise<void>;
}

/** What {@link Tracing.logMixin} adds to a log line. */
export type TraceLogFields = { trace_id?: string; span_id?: string };

/** Tracing that is off: nothing is recorded, propagated or hooked. */
export const DISABLED_TRACING: Tracing = Object.freeze({
  enabled: false,
  startRpcClientSpan: () => NO_CLIENT_SPAN,
  startRpcServerSpan: () => NO_SERVER_SPAN,
  startDependencySpan: () => undefined,
  traceRequests: (listener: RequestListener) => listener,
  setHttpRoute: () => {},
  propagationFields: Object.freeze([]),
  logMixin: undefined,
  shutdown: () => Promise.resolve(),
});

const INVALID_SPAN = trace.wrapSpanContext(INVALID_SPAN_CONTEXT);

const NO_CLIENT_SPAN: RpcClientSpan = Object.freeze({
  span: INVALID_SPAN,
  injectInto: () => {},
  end: () => {},
});

const NO_SERVER_SPAN: RpcServerSpan = Object.freeze({
  span: INVALID_SPAN,
  run: <T>(fn: () => T): T => fn(),
  end: () => {},
});

/** The pieces {@link tracingFrom} assembles; built by `createTracing`. */
export interface TracingParts {
  readonly tracer: Tracer;
  readonly propagator: TextMapPropagator;
  readonly shutdown: () => Promise<void>;
}

/** `/tessera.issuer.v1.IssuerService/Refresh` → service and method, per the RPC conventions. */
function rpcAttributes(path: string, extra: Attributes | undefined): Attributes {
  const slash = path.lastIndexOf('/');
  return {
    'rpc.system': 'grpc',
    'rpc.service': path.slice(path.startsWith('/') ? 1 : 0, slash),
    'rpc.method': path.slice(slash + 1),
    ...extra,
  };
}

function spanName(path: string): string {
  return path.startsWith('/') ? path.slice(1) : path;
}

function ender(span: Span, side: 'client' | 'server'): (code: number, message?: string) => void {
  let ended = false;
  return (code, message) => {
    if (ended) return;
    ended = true;
    span.setAttribute('rpc.grpc.status_code', code);
    if (isRpcFailure(code, side)) {
      span.setStatus({ code: SpanStatusCode.ERROR, ...(message ? { message } : {}) });
    }
    span.end();
  };
}

/** Builds a working {@link Tracing} from a tracer and a propagator. */
export function tracingFrom(parts: TracingParts): Tracing {
  const { tracer, propagator } = parts;
  const httpSpans = new WeakMap<IncomingMessage, Span>();

  const extract = (carrier: HeaderSource): Context =>
    propagator.extract(ROOT_CONTEXT, carrier, defaultTextMapGetter);

  return {
    enabled: true,
    startRpcClientSpan(path, attributes) {
      const parent = context.active();
      if (trace.getSpan(parent) === undefined) return NO_CLIENT_SPAN;
      const span = tracer.startSpan(
        spanName(path),
        { kind: SpanKind.CLIENT, attributes: rpcAttributes(path, attributes) },
        parent,
      );
      const callContext = trace.setSpan(parent, span);
      return {
        span,
        injectInto: (carrier) => propagator.inject(callContext, carrier, defaultTextMapSetter),
        end: ender(span, 'client'),
      };
    },
    startRpcServerSpan(path, carrier, attributes) {
      const parent = extract(carrier);
      const span = tracer.startSpan(
        spanName(path),
        { kind: SpanKind.SERVER, attributes: rpcAttributes(path, attributes) },
        parent,
      );
      const callContext = trace.setSpan(parent, span);
      return {
        span,
        run: (fn) => context.with(callContext, fn),
        end: ender(span, 'server'),
      };
    },
    startDependencySpan(name, attributes) {
      const parent = context.active();
      if (!trace.getSpan(parent)?.isRecording()) return undefined;
      return tracer.startSpan(name, { kind: SpanKind.CLIENT, attributes }, parent);
    },
    traceRequests(listener, untraced) {
      return (request, response) => {
        if (untraced?.(request)) {
          listener(request, response);
          return;
        }
        const parent = extract(request.headers);
        const method = request.method ?? 'HTTP';
        const span = tracer.startSpan(
          method,
          {
            kind: SpanKind.SERVER,
            attributes: {
              'http.request.method': method,
              'network.protocol.version': request.httpVersion,
            },
          },
          parent,
        );
        httpSpans.set(request, span);
        const requestContext = trace.setSpan(parent, span);
        // The body arrives in events emitted from the connection's own async context; binding
        // the emitters keeps body parsing and everything after it inside this request's span.
        context.bind(requestContext, request);
        context.bind(requestContext, response);
        response.once('close', () => {
          span.setAttribute('http.response.status_code', response.statusCode);
          if (response.statusCode >= 500) span.setStatus({ code: SpanStatusCode.ERROR });
          span.end();
        });
        context.with(requestContext, () => listener(request, response));
      };
    },
    setHttpRoute(request, route) {
      const span = httpSpans.get(request);
      if (span === undefined) return;
      span.updateName(`${request.method ?? 'HTTP'} ${route}`);
      span.setAttribute('http.route', route);
    },
    propagationFields: Object.freeze(propagator.fields()),
    logMixin: () => {
      const spanContext = trace.getSpan(context.active())?.spanContext();
      // A new object each time: pino merges the line's own fields into what the mixin returns.
      if (spanContext === undefined) return {};
      return { trace_id: spanContext.traceId, span_id: spanContext.spanId };
    },
    shutdown: parts.shutdown,
  };
}
