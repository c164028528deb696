import { TesseraError } from '@tessera/errors';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  collectProcessMetrics,
  type MetricsServer,
  startMetricsServer,
  unaryCall,
} from '../src/index.js';
import { type IssuerHarness, rejection, startIssuer } from './support/issuer-harness.js';

describe('metrics', () => {
  let harness: IssuerHarness | undefined;
  let metrics: MetricsServer | undefined;
  afterEach(async () => {
    await metrics?.close();
    await harness?.close();
    harness = metrics = undefined;
  });

  it('counts calls by code and serves them on /metrics', async () => {
    harness = await startIssuer({
      vend: async () => ({ token: 'x' }),
      getJwks: async () => {
        throw new TesseraError('TENANT_NOT_FOUND', 'no such tenant');
      },
    });
    const { client, registry } = harness;
    const vend = { tenantId: '', claimsJson: '{}', keyId: '', timeToLiveSeconds: 0 };
    await unaryCall(client.vend.bind(client), vend, { deadlineMs: 5_000 });
    await unaryCall(client.vend.bind(client), vend, { deadlineMs: 5_000 });
    await rejection(
      unaryCall(client.getJwks.bind(client), { tenantId: 'x' }, { deadlineMs: 5_000 }),
    );

    metrics = await startMetricsServer({ registry, host: '127.0.0.1', port: 0 });
    const response = await fetch(`http://127.0.0.1:${metrics.port}/metrics`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe(registry.contentType);
    const body = await response.text();
    const service = 'service="tessera.issuer.v1.IssuerService"';
    expect(body).toContain(`grpc_server_handled_total{${service},method="Vend",code="OK"} 2`);
    expect(body).toContain(
      `grpc_server_handled_total{${service},method="GetJwks",code="NOT_FOUND"} 1`,
    );
    expect(body).toContain(`grpc_server_started_total{${service},method="Vend"} 2`);
    expect(body).toContain(`grpc_server_handling_seconds_count{${service},method="Vend"} 2`);
    expect(body).toContain(`grpc_server_in_flight_calls{${service},method="Vend"} 0`);

    const missing = await fetch(`http://127.0.0.1:${metrics.port}/other`);
    expect(missing.status).toBe(404);
    await missing.text();
  });

  it('adds process metrics on request, once', async () => {
    const registry = new Registry();
    collectProcessMetrics(registry);
    collectProcessMetrics(registry);
    expect(await registry.getSingleMetricAsString('process_cpu_user_seconds_total')).toContain(
      'process_cpu_user_seconds_total',
    );
  });
});
