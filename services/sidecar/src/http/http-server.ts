import type { LocalValidator } from '@tessera/local-validation';
import Fastify, { type FastifyBaseLogger, type FastifyInstance, LogController } from 'fastify';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { Decider } from '../decision/decide.js';
import type { SidecarMetrics } from '../sidecar-metrics.js';
import { registerAuthRequestRoutes } from './auth-request.js';
import { registerFusionAuthValidateRoute } from './fusionauth-validate.js';

/** What the sidecar's HTTP listener serves from. */
export interface SidecarHttpOptions {
  readonly logger: Logger;
  readonly registry: Registry;
  readonly validator: LocalValidator;
  readonly decider: Decider;
  readonly metrics: SidecarMetrics;
}

/**
 * The sidecar's HTTP listener: auth-request mode (`/auth`, `/auth/*`), FusionAuth's
 * `GET /api/jwt/validate`, and the probes and metrics: `/healthz` (the process answers),
 * `/readyz` (200 only while tokens are answered: keys and the first revocation snapshot in,
 * revocations not stale in fail-closed mode), `/metrics`. Anything else is 404; a failure
 * is a 500 with an empty body and the error logged, never sent.
 */
export async function buildSidecarHttp(options: SidecarHttpOptions): Promise<FastifyInstance> {
  const app = Fastify({
    // pino's own Logger is what fastify runs on; the two declarations differ only in generics.
    loggerInstance: options.logger as FastifyBaseLogger,
    // Requests carry tokens; no request lines are logged.
    logController: new LogController({ disableRequestLogging: true }),
  });
  app.setErrorHandler(async (error, request, reply) => {
    // Fastify's own refusals (a malformed request) keep their 4xx; anything else is ours.
    const status =
      typeof error === 'object' && error !== null && 'statusCode' in error
        ? Number(error.statusCode)
        : 500;
    if (status >= 400 && status < 500) return reply.code(status).send();
    request.log.error({ err: error }, 'request failed');
    return reply.code(500).send();
  });
  registerAuthRequestRoutes(app, options);
  registerFusionAuthValidateRoute(app, options);
  app.get('/healthz', async () => ({ status: 'ok' }));
  app.get('/readyz', async (_request, reply) => {
    const freshness = options.decider.freshness();
    return reply.code(freshness.ready ? 200 : 503).send({
      status: freshness.ready ? 'ready' : 'not ready',
      loaded: freshness.loaded,
      stale: freshness.stale,
    });
  });
  app.get('/metrics', async (_request, reply) => {
    const text = await options.registry.metrics();
    return reply.type(options.registry.contentType).send(text);
  });
  await app.ready();
  return app;
}
