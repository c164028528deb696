import type { FastifyInstance } from 'fastify';

/** What the operational routes need beyond the gateway context. */
export interface OperationsDeps {
  /** Whether the backends and the local validator are ready. */
  readonly ready: () => Promise<boolean>;
}

const STATUS_SCHEMA = {
  type: 'object',
  required: ['status'],
  properties: { status: { type: 'string', description: '`ok`, `ready` or `not ready`' } },
} as const;

/**
 * Probes for the platform: `/healthz` (the process answers) and `/readyz` (the backends and
 * the local validator are ready; 503 otherwise, so traffic goes elsewhere). Metrics are not
 * here: they are served on the management port (`GATEWAY_METRICS_ADDRESS`), which the public
 * never reaches.
 */
export function registerOperationsRoutes(app: FastifyInstance, deps: OperationsDeps): void {
  app.get('/healthz', {
    config: { api: 'plain' },
    schema: {
      tags: ['Operations'],
      operationId: 'healthz',
      summary: 'Liveness: the process is up',
      response: { 200: { ...STATUS_SCHEMA, description: 'The process answers' } },
    },
    handler: async () => ({ status: 'ok' }),
  });

  app.get('/readyz', {
    config: { api: 'plain' },
    schema: {
      tags: ['Operations'],
      operationId: 'readyz',
      summary: 'Readiness: the backends serve and the local validator has its keys',
      response: {
        200: { ...STATUS_SCHEMA, description: 'Ready for traffic' },
        503: {
          ...STATUS_SCHEMA,
          description: 'Not ready: a backend is down, keys are missing, or shutdown has begun',
        },
      },
    },
    handler: async (_request, reply) => {
      // A probe that throws is a probe that says no.
      const ready = await deps.ready().catch(() => false);
      return reply.code(ready ? 200 : 503).send({ status: ready ? 'ready' : 'not ready' });
    },
  });
}
