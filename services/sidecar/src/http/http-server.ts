import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { LocalValidator } from '@tessera/local-validation';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Decider } from '../decision/decide.js';
import type { SidecarMetrics } from '../sidecar-metrics.js';
import { AUTH_PATH, answerAuthRequest } from './auth-request.js';
import { answerFusionAuthValidate } from './fusionauth-validate.js';
import { sendEmpty, sendJson } from './reply.js';

/** What the sidecar's HTTP listener serves from. */
export interface SidecarHttpOptions {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly validator: LocalValidator;
  readonly decider: Decider;
  readonly metrics: SidecarMetrics;
}

/** The sidecar's HTTP listener, built but not yet bound. */
export interface SidecarHttp {
  readonly server: Server;
  /** Binds and resolves with the listening URL (`http://127.0.0.1:9192`). */
  listen(address: { readonly host: string; readonly port: number }): Promise<string>;
  /** Stops accepting, closes idle keep-alive connections, waits for requests in flight. */
  close(): Promise<void>;
}

type Route = (request: IncomingMessage, response: ServerResponse) => void | Promise<void>;

const AUTH_PREFIX = `${AUTH_PATH}/`;

/**
 * The sidecar's HTTP listener: auth-request mode (`/auth`, `/auth/*`, any method), FusionAuth's
 * `GET /api/jwt/validate`, and the probes and metrics: `/healthz` (the process answers),
 * `/readyz` (200 only while tokens are answered: keys and the first revocation snapshot in,
 * revocations not stale in fail-closed mode), `/metrics`. GET routes answer HEAD too. Anything
 * else is 404 with fastify's JSON shape (what this listener answered before it was plain
 * node:http); a failure is a 500 with an empty body and the error logged, never sent.
 *
 * Plain node:http rather than a framework: these five routes need no router, body parsing or
 * schemas, and the sidecar runs in every pod, where a framework's heap and per-request
 * allocations (a child logger, a request and a reply object) are paid many times over.
 */
export function buildSidecarHttp(options: SidecarHttpOptions): SidecarHttp {
  const { logger, registry, decider } = options;
  const getRoutes = new Map<string, Route>([
    [
      '/api/jwt/validate',
      (request, response) => answerFusionAuthValidate(request, response, options),
    ],
    ['/healthz', (_request, response) => sendJson(response, 200, { status: 'ok' })],
    [
      '/readyz',
      (_request, response) => {
        const freshness = decider.freshness();
        sendJson(response, freshness.ready ? 200 : 503, {
          status: freshness.ready ? 'ready' : 'not ready',
          loaded: freshness.loaded,
          stale: freshness.stale,
        });
      },
    ],
    [
      '/metrics',
      async (_request, response) => {
        const text = await registry.metrics();
        response.writeHead(200, {
          'content-type': registry.contentType,
          'content-length': Buffer.byteLength(text),
        });
        response.end(text);
      },
    ],
  ]);

  // Made once: auth-request is the hot route, and a closure per request is paid in collections.
  const authRoute: Route = (request, response) => answerAuthRequest(request, response, options);
  const route = (request: IncomingMessage): Route | undefined => {
    const url = request.url ?? '/';
    const query = url.indexOf('?');
    const path = query === -1 ? url : url.slice(0, query);
    if (path === AUTH_PATH || path.startsWith(AUTH_PREFIX)) return authRoute;
    if (request.method !== 'GET' && request.method !== 'HEAD') return undefined;
    return getRoutes.get(path);
  };

  const server = createServer((request, response) => {
    // No route reads a body: whatever a client sends is discarded, never buffered.
    request.resume();
    const handler = route(request);
    if (handler === undefined) {
      sendJson(response, 404, {
        message: `Route ${request.method}:${request.url} not found`,
        error: 'Not Found',
        statusCode: 404,
      });
      return;
    }
    try {
      const pending = handler(request, response);
      if (pending !== undefined) pending.catch((error: unknown) => failed(response, error));
    } catch (error) {
      failed(response, error);
    }
  });
  const failed = (response: ServerResponse, error: unknown) => {
    logger.error({ err: error }, 'request failed');
    if (!response.headersSent) sendEmpty(response, 500);
    else response.destroy();
  };

  return {
    server,
    listen(address) {
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(address.port, address.host, () => {
          server.off('error', reject);
          const bound = server.address() as AddressInfo;
          const host = bound.family === 'IPv6' ? `[${bound.address}]` : bound.address;
          resolve(`http://${host}:${bound.port}`);
        });
      });
    },
    close() {
      return new Promise((resolve) => {
        if (!server.listening) {
          resolve();
          return;
        }
        server.close(() => resolve());
        server.closeIdleConnections();
      });
    },
  };
}
