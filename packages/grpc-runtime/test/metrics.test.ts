import { credentials } from '@grpc/grpc-js';
import { issuerV1 } from '@tessera/contracts';
import { TesseraError } from '@tessera/errors';
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  clientCallMetrics,
  collectProcessMetrics,
  createChannelOptions,
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
    // go-grpc-prometheus label names and order; codes by name.
    const vendLabels =
      'grpc_type="unary",grpc_service="tessera.issuer.v1.IssuerService",grpc_method="Vend"';
    const jwksLabels =
      'grpc_type="unary",grpc_service="tessera.issuer.v1.IssuerService",grpc_method="GetJwks"';
    expect(body).toContain(`grpc_server_handled_total{${vendLabels},grpc_code="OK"} 2`);
    expect(body).toContain(`grpc_server_handled_total{${jwksLabels},grpc_code="NOT_FOUND"} 1`);
    expect(body).toContain(`grpc_server_started_total{${vendLabels}} 2`);
    expect(body).toContain(`grpc_server_handling_seconds_count{${vendLabels}} 2`);
    expect(body).toContain(`grpc_server_in_flight_calls{${vendLabels}} 0`);

    const missing = await fetch(`http://127.0.0.1:${metrics.port}/other`);
    expect(missing.status).toBe(404);
    await missing.text();
  });

  it('labels a server-stream as server_stream', async () => {
    harness = await startIssuer({
      watchKeys: async function* () {
        yield { revision: 1n, keys: [], profiles: [] };
      },
    });
    const { client, registry } = harness;
    await new Promise<void>((resolve, reject) => {
      const call = client.watchKeys({});
      call.on('data', () => {});
      call.on('error', reject);
      call.on('end', resolve);
    });
    const text = await registry.getSingleMetricAsString('grpc_server_handled_total');
    expect(text).toContain(
      'grpc_server_handled_total{grpc_type="server_stream",grpc_service="tessera.issuer.v1.IssuerService",grpc_method="WatchKeys",grpc_code="OK"} 1',
    );
  });

  it('counts the calls a client makes, by code name, on the client registry', async () => {
    harness = await startIssuer({
      vend: async () => ({ token: 'x' }),
      getJwks: async () => {
        throw new TesseraError('TENANT_NOT_FOUND', 'no such tenant');
      },
    });
    const registry = new Registry();
    const client = new issuerV1.IssuerServiceClient(harness.address, credentials.createInsecure(), {
      ...createChannelOptions(),
      interceptors: [clientCallMetrics(registry)],
    });
    try {
      const vend = { tenantId: '', claimsJson: '{}', keyId: '', timeToLiveSeconds: 0 };
      await unaryCall(client.vend.bind(client), vend, { deadlineMs: 5_000 });
      await rejection(
        unaryCall(client.getJwks.bind(client), { tenantId: 'x' }, { deadlineMs: 5_000 }),
      );
    } finally {
      client.close();
    }
    const body = await registry.metrics();
    const labels = (method: string) =>
      `grpc_type="unary",grpc_service="tessera.issuer.v1.IssuerService",grpc_method="${method}"`;
    expect(body).toContain(`grpc_client_started_total{${labels('Vend')}} 1`);
    expect(body).toContain(`grpc_client_handled_total{${labels('Vend')},grpc_code="OK"} 1`);
    expect(body).toContain(
      `grpc_client_handled_total{${labels('GetJwks')},grpc_code="NOT_FOUND"} 1`,
    );
    expect(body).toContain(`grpc_client_handling_seconds_count{${labels('Vend')}} 1`);
    expect(body).toContain(`grpc_client_in_flight_calls{${labels('Vend')}} 0`);
  });

  it('counts a call to an unreachable server as UNAVAILABLE', async () => {
    const registry = new Registry();
    const client = new issuerV1.IssuerServiceClient('127.0.0.1:1', credentials.createInsecure(), {
      interceptors: [clientCallMetrics(registry)],
    });
    try {
      await rejection(
        unaryCall(client.getJwks.bind(client), { tenantId: 'x' }, { deadlineMs: 2_000 }),
      );
    } finally {
      client.close();
    }
    expect(await registry.getSingleMetricAsString('grpc_client_handled_total')).toMatch(
      /grpc_method="GetJwks",grpc_code="(UNAVAILABLE|DEADLINE_EXCEEDED)"\} 1/,
    );
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
