import { createServer, type IncomingMessage, type ServerOptions } from 'node:http';
import type { Tracing } from '@tessera/tracing';
import type { FastifyInstance, FastifyServerFactory } from 'fastify';

// Probes and scrapes arrive every few seconds from every kubelet and Prometheus: a trace each
// would bury the requests worth reading.
const UNTRACED_PATHS: ReadonlySet<string> = new Set(['/healthz', '/readyz', '/metrics']);

function isOperationsRequest(request: IncomingMessage): boolean {
  const url = request.url ?? '';
  const query = url.indexOf('?');
  return UNTRACED_PATHS.has(query === -1 ? url : url.slice(0, query));
}

/**
 * The HTTP server fastify runs on when tracing is on: each request (but health probes and
 * metrics scrapes) gets a server span that continues the caller's `traceparent` and stays
 * active through body parsing, hooks, the route and the gRPC calls it makes. The server is set
 * up as fastify sets up its own (the same timeouts), so turning tracing on changes nothing else.
 */
export function tracedServerFactory(tracing: Tracing): FastifyServerFactory {
  return (handler, options) => {
    const server = createServer(
      (options.http ?? {}) as ServerOptions,
      tracing.traceRequests(handler, isOperationsRequest),
    );
    if (typeof options.keepAliveTimeout === 'number')
      server.keepAliveTimeout = options.keepAliveTimeout;
    if (typeof options.requestTimeout === 'number') server.requestTimeout = options.requestTimeout;
    if (typeof options.connectionTimeout === 'number') server.setTimeout(options.connectionTimeout);
    if (typeof options.maxRequestsPerSocket === 'number' && options.maxRequestsPerSocket > 0) {
      server.maxRequestsPerSocket = options.maxRequestsPerSocket;
    }
    return server;
  };
}

/**
 * Names each request's span after its route pattern (`POST /api/jwt/refresh`), never its URL:
 * URLs carry tokens and ids (`?token=`, `/api/jwt/refresh/{tokenId}`).
 */
export function nameSpansByRoute(app: FastifyInstance, tracing: Tracing): void {
  app.addHook('onRequest', async (request) => {
    tracing.setHttpRoute(request.raw, request.routeOptions.url ?? 'unmatched');
  });
}
