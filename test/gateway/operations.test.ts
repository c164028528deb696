import { credentials } from '@grpc/grpc-js';
import { issuerV1, sessionV1 } from '@tessera/contracts';
import { clientTransport, createCaller, startMetricsServer } from '@tessera/grpc-runtime';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway } from '../../services/gateway/src/app.js';
import { backendsServing } from '../../services/gateway/src/backend-health.js';
import { createGatewayContext } from '../../services/gateway/src/gateway-context.js';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';

let s: GatewayStack;
beforeAll(async () => {
  s = await startGatewayStack();
});
afterAll(() => s.close());

/** A second gateway over the same stack, with its own readiness. */
async function gatewayWith(
  ready: () => Promise<boolean>,
): Promise<{ app: FastifyInstance; url: string }> {
  const app = await buildGateway({
    context: createGatewayContext({
      issuer: createCaller(issuerV1.IssuerServiceService, clientTransport(s.issuerClient), {
        deadlineMs: 5000,
      }),
      session: createCaller(sessionV1.SessionServiceService, clientTransport(s.sessionClient), {
        deadlineMs: 5000,
      }),
      validator: s.validator,
      realm: () => s.session.realm.current,
      clock: s.clock,
      deadlineMs: 1000,
      serviceApiKey: s.realm.keys.plain,
      publicUrl: '',
    }),
    logger: pino({ level: 'silent' }),
    registry: new Registry(),
    bodyLimitBytes: 1024 * 1024,
    ready,
  });
  return { app, url: await app.listen({ host: '127.0.0.1', port: 0 }) };
}

describe('GET /healthz', () => {
  it('answers 200 while the process runs', async () => {
    const response = await fetch(`${s.baseUrl}/healthz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ok' });
  });
});

describe('GET /readyz', () => {
  it('answers 200 when the backends serve', async () => {
    const response = await fetch(`${s.baseUrl}/readyz`);
    expect(response.status).toBe(200);
    expect(await response.json()).toEqual({ status: 'ready' });
  });

  it('answers 503 when a backend does not answer, and when the probe fails', async () => {
    const dead = [
      new issuerV1.IssuerServiceClient('127.0.0.1:1', credentials.createInsecure()),
      new sessionV1.SessionServiceClient('127.0.0.1:1', credentials.createInsecure()),
    ];
    const probes: (() => Promise<boolean>)[] = [
      () => backendsServing(dead, 300),
      async () => false,
      async () => {
        throw new Error('probe broke');
      },
    ];
    try {
      for (const ready of probes) {
        const { app, url } = await gatewayWith(ready);
        try {
          const response = await fetch(`${url}/readyz`);
          expect(response.status).toBe(503);
          expect(await response.json()).toEqual({ status: 'not ready' });
          // Liveness does not depend on the backends.
          expect((await fetch(`${url}/healthz`)).status).toBe(200);
        } finally {
          await app.close();
        }
      }
    } finally {
      for (const client of dead) client.close();
    }
  });
});

describe('metrics', () => {
  it('are not served on the public port', async () => {
    const response = await fetch(`${s.baseUrl}/metrics`);
    expect(response.status).toBe(404);
    await response.text();
  });

  it('reach the management server as Prometheus text, with RED metrics by route pattern', async () => {
    await fetch(`${s.baseUrl}/healthz`);
    await fetch(`${s.baseUrl}/api/${s.realm.tenantA}/tokens/generate`, { method: 'POST' });
    const management = await startMetricsServer({
      registry: s.registry,
      host: '127.0.0.1',
      port: 0,
    });
    try {
      const response = await fetch(`http://127.0.0.1:${management.port}/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^text\/plain; version=0\.0\.4/);
      const text = await response.text();
      expect(text).toContain('http_requests_total{route="/healthz",method="GET",status="200"}');
      expect(text).toContain(
        'http_requests_total{route="/api/:tenantId/tokens/generate",method="POST",status="401"}',
      );
      expect(text).not.toContain(s.realm.tenantA);
    } finally {
      await management.close();
    }
  });
});
