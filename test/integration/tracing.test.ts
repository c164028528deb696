import { Writable } from 'node:stream';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace';
import type { TransportKind } from '@tessera/grpc-runtime';
import { createLogger } from '@tessera/logger';
import { type RedisServer, startRedisServer } from '@tessera/testing';
import { createTracing, readTracingSettings, type Tracing } from '@tessera/tracing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';
import { redisStores, startSessionFor } from '../support/stack.js';

// One in-process stack (gateway → issuer → session → Redis), each component with its own
// tracer provider, all exporting into one in-memory exporter.
const exporter = new InMemorySpanExporter();
const logLines: Record<string, unknown>[] = [];
let redis: RedisServer;
let stack: GatewayStack;
let tracings: Tracing[] = [];
let startStackOver: (transport: TransportKind) => Promise<GatewayStack>;

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const CALLER_SPAN_ID = '00f067aa0ba902b7';

async function tracingFor(component: string): Promise<Tracing> {
  const settings = readTracingSettings({ OTEL_TRACES_EXPORTER: 'otlp' }, `tessera-${component}`);
  return createTracing(settings, { exporter });
}

beforeAll(async () => {
  redis = await startRedisServer();
  const [gateway, issuer, session] = await Promise.all(
    ['gateway', 'issuer', 'session'].map(tracingFor),
  );
  if (!gateway || !issuer || !session) throw new Error('tracing not created');
  tracings = [gateway, issuer, session];
  const capture = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString('utf8').split('\n')) {
        if (line.trim() !== '') logLines.push(JSON.parse(line) as Record<string, unknown>);
      }
      done();
    },
  });
  startStackOver = (transport) =>
    startGatewayStack({
      transport,
      stores: (clock) => redisStores(clock, redis.url, session),
      tracing: { gateway, issuer, session },
      logger: (component) =>
        createLogger({
          service: component,
          level: 'debug',
          destination: capture,
          mixin: { gateway, issuer, session }[component].logMixin,
        }),
    });
});

afterAll(async () => {
  await Promise.all(tracings.map((tracing) => tracing.shutdown()));
  await redis?.stop();
});

/** Spans of one trace, once the gateway's HTTP span (the last to end) has been exported. */
async function traceOf(traceId: string): Promise<ReadableSpan[]> {
  const isHttp = (span: ReadableSpan) => span.name.startsWith('POST ');
  for (let attempt = 0; attempt < 500; attempt++) {
    const spans = exporter.getFinishedSpans();
    if (spans.some((span) => isHttp(span) && span.spanContext().traceId === traceId)) {
      return spans.filter((span) => span.spanContext().traceId === traceId);
    }
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
  throw new Error(`the trace ${traceId} never finished`);
}

async function refreshOverRest(headers: Record<string, string>): Promise<Response> {
  const started = await startSessionFor(stack, crypto.randomUUID());
  exporter.reset();
  return fetch(`${stack.baseUrl}/api/jwt/refresh`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify({ refreshToken: started.refreshToken }),
  });
}

function only(spans: ReadableSpan[], predicate: (span: ReadableSpan) => boolean): ReadableSpan {
  const matching = spans.filter(predicate);
  expect(matching, `spans: ${spans.map((span) => span.name).join(', ')}`).toHaveLength(1);
  return matching[0] as ReadableSpan;
}

const serviceOf = (span: ReadableSpan) => span.resource.attributes['service.name'];
const parentOf = (span: ReadableSpan) => span.parentSpanContext?.spanId;
const idOf = (span: ReadableSpan) => span.spanContext().spanId;
// SpanKind: SERVER = 1, CLIENT = 2.
const SERVER = 1;
const CLIENT = 2;

// The issuer and the gateway call their backends over the multiplexed stream by default, and
// over unary RPCs when configured so: the trace must be the same either way.
describe.each(['stream', 'unary'] as const)(
  'tracing through the whole stack over %s calls',
  (transport) => {
    beforeAll(async () => {
      stack = await startStackOver(transport);
    });
    afterAll(() => stack?.close());

    it('turns one REST refresh into one trace: gateway HTTP → issuer → session → Redis', async () => {
      const response = await refreshOverRest({
        traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01`,
      });
      expect(response.status).toBe(200);
      const spans = await traceOf(TRACE_ID);

      const http = only(spans, (span) => span.name === 'POST /api/jwt/refresh');
      expect(serviceOf(http)).toBe('tessera-gateway');
      expect(http.kind).toBe(SERVER);
      expect(parentOf(http)).toBe(CALLER_SPAN_ID);
      expect(http.attributes['http.route']).toBe('/api/jwt/refresh');
      expect(http.attributes['http.response.status_code']).toBe(200);

      const refresh = 'tessera.issuer.v1.IssuerService/Refresh';
      const gatewayCall = only(spans, (span) => span.name === refresh && span.kind === CLIENT);
      expect(serviceOf(gatewayCall)).toBe('tessera-gateway');
      expect(parentOf(gatewayCall)).toBe(idOf(http));
      const issuerServes = only(spans, (span) => span.name === refresh && span.kind === SERVER);
      expect(serviceOf(issuerServes)).toBe('tessera-issuer');
      expect(parentOf(issuerServes)).toBe(idOf(gatewayCall));
      expect(issuerServes.attributes).toMatchObject({
        'rpc.system': 'grpc',
        'rpc.service': 'tessera.issuer.v1.IssuerService',
        'rpc.method': 'Refresh',
        'rpc.grpc.status_code': 0,
      });

      const rotate = 'tessera.session.v1.SessionService/Rotate';
      const issuerCall = only(spans, (span) => span.name === rotate && span.kind === CLIENT);
      expect(serviceOf(issuerCall)).toBe('tessera-issuer');
      expect(parentOf(issuerCall)).toBe(idOf(issuerServes));
      const sessionServes = only(spans, (span) => span.name === rotate && span.kind === SERVER);
      expect(serviceOf(sessionServes)).toBe('tessera-session');
      expect(parentOf(sessionServes)).toBe(idOf(issuerCall));

      // EVAL on a connection that has not loaded the script yet, EVALSHA afterwards.
      const script = only(spans, (span) => /^EVAL(SHA)? refreshTokenRotate$/.test(span.name));
      expect(serviceOf(script)).toBe('tessera-session');
      expect(script.kind).toBe(CLIENT);
      expect(parentOf(script)).toBe(idOf(sessionServes));
      expect(script.attributes).toMatchObject({
        'db.system.name': 'redis',
        'db.stored_procedure.name': 'refreshTokenRotate',
      });
      // Arguments hold token hashes: never recorded.
      expect(JSON.stringify(spans.map((span) => span.attributes))).not.toMatch(/db\.query/);

      // Every span of the request is in this one trace, and none is left without its parent.
      const ids = new Set(spans.map(idOf));
      for (const span of spans) {
        if (span !== http) expect(ids.has(parentOf(span) ?? '')).toBe(true);
      }
    });

    it('writes trace_id and span_id on the log lines of a traced call', async () => {
      logLines.length = 0;
      const traceId = 'a1b2c3d4e5f60718293a4b5c6d7e8f90';
      await refreshOverRest({ traceparent: `00-${traceId}-${CALLER_SPAN_ID}-01` });
      const spans = await traceOf(traceId);
      const issuerServes = only(
        spans,
        (span) => span.name === 'tessera.issuer.v1.IssuerService/Refresh' && span.kind === SERVER,
      );
      const line = logLines.find(
        (entry) =>
          entry.service === 'issuer' &&
          entry.msg === 'rpc finished' &&
          entry.rpc === '/tessera.issuer.v1.IssuerService/Refresh',
      );
      expect(line).toMatchObject({ trace_id: traceId, span_id: idOf(issuerServes) });
    });

    it('starts a new trace at the gateway when the caller sends none, or a malformed one', async () => {
      const variants: Record<string, string>[] = [{}, { traceparent: '00-not-a-trace-01' }];
      for (const headers of variants) {
        const response = await refreshOverRest(headers);
        expect(response.status).toBe(200);
        let http: ReadableSpan | undefined;
        for (let attempt = 0; attempt < 500 && http === undefined; attempt++) {
          http = exporter.getFinishedSpans().find((span) => span.name === 'POST /api/jwt/refresh');
          if (http === undefined) await new Promise((resolve) => setTimeout(resolve, 10));
        }
        if (http === undefined) throw new Error('no HTTP span');
        expect(parentOf(http)).toBeUndefined();
        const spans = await traceOf(http.spanContext().traceId);
        expect(spans.map((span) => span.name)).toEqual(
          expect.arrayContaining([
            'tessera.issuer.v1.IssuerService/Refresh',
            'tessera.session.v1.SessionService/Rotate',
            expect.stringMatching(/^EVAL(SHA)? refreshTokenRotate$/),
          ]),
        );
      }
    });

    it('leaves health probes and metrics scrapes out of traces', async () => {
      exporter.reset();
      for (const path of ['/healthz', '/readyz', '/metrics']) {
        const response = await fetch(`${stack.baseUrl}${path}`, {
          headers: { traceparent: `00-${TRACE_ID}-${CALLER_SPAN_ID}-01` },
        });
        await response.arrayBuffer();
      }
      // A traced request after them (on the same keep-alive pool): once its span is in, the
      // probes' would be too.
      const traceId = 'c0ffee00c0ffee00c0ffee00c0ffee00';
      const refused = await fetch(`${stack.baseUrl}/api/jwt/refresh`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          traceparent: `00-${traceId}-${CALLER_SPAN_ID}-01`,
        },
        body: JSON.stringify({ refreshToken: 'not-a-token' }),
      });
      expect(refused.status).toBe(400);
      await traceOf(traceId);
      const names = exporter.getFinishedSpans().map((span) => span.name);
      expect(names.filter((name) => name.startsWith('GET '))).toEqual([]);
    });
  },
);
