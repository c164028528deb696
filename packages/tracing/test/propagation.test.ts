import { InMemorySpanExporter } from '@opentelemetry/sdk-trace';
import { createLogger } from '@tessera/logger';
import { afterAll, describe, expect, it } from 'vitest';
import {
  createTracing,
  DISABLED_TRACING,
  readTracingSettings,
  type TraceLogFields,
} from '../src/index.js';

const exporter = new InMemorySpanExporter();
const tracing = await createTracing(
  readTracingSettings({ OTEL_TRACES_EXPORTER: 'otlp' }, 'tessera-test'),
  { exporter },
);
afterAll(() => tracing.shutdown());

const TRACE_ID = '0af7651916cd43dd8448eb211c80319c';
const PARENT_ID = 'b7ad6b7169203331';
const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-0[01]$/;

describe('trace context propagation', () => {
  it('continues the caller trace on the server and hands it on to an outgoing call', () => {
    const served = tracing.startRpcServerSpan('/tessera.test.v1.Echo/Say', {
      traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`,
      tracestate: 'vendor=value',
    });
    expect(served.span.spanContext().traceId).toBe(TRACE_ID);
    const carrier: Record<string, string> = {};
    const outgoing = served.run(() => tracing.startRpcClientSpan('/tessera.test.v1.Echo/Next'));
    outgoing.injectInto(carrier);
    expect(carrier.traceparent).toBe(`00-${TRACE_ID}-${outgoing.span.spanContext().spanId}-01`);
    expect(carrier.tracestate).toBe('vendor=value');
    outgoing.end(0);
    served.end(0);

    const [client, server] = exporter.getFinishedSpans();
    expect(server?.parentSpanContext?.spanId).toBe(PARENT_ID);
    expect(client?.parentSpanContext?.spanId).toBe(server?.spanContext().spanId);
    expect(server?.name).toBe('tessera.test.v1.Echo/Say');
    expect(server?.attributes).toMatchObject({
      'rpc.system': 'grpc',
      'rpc.service': 'tessera.test.v1.Echo',
      'rpc.method': 'Say',
      'rpc.grpc.status_code': 0,
    });
  });

  it('starts a new trace for a malformed or missing traceparent', () => {
    for (const carrier of [{}, { traceparent: '00-zz-yy-01' }, { traceparent: 'x'.repeat(5000) }]) {
      const served = tracing.startRpcServerSpan('/tessera.test.v1.Echo/Say', carrier);
      const out: Record<string, string> = {};
      served.run(() => tracing.startRpcClientSpan('/tessera.test.v1.Echo/Next')).injectInto(out);
      expect(out.traceparent).toMatch(TRACEPARENT);
      expect(out.traceparent).not.toContain(TRACE_ID);
      served.end(0);
    }
  });

  it('keeps an unsampled caller unsampled downstream', () => {
    const served = tracing.startRpcServerSpan('/tessera.test.v1.Echo/Say', {
      traceparent: `00-${TRACE_ID}-${PARENT_ID}-00`,
    });
    expect(served.span.isRecording()).toBe(false);
    const out: Record<string, string> = {};
    served.run(() => tracing.startRpcClientSpan('/tessera.test.v1.Echo/Next')).injectInto(out);
    expect(out.traceparent).toMatch(new RegExp(`^00-${TRACE_ID}-[0-9a-f]{16}-00$`));
  });

  it('starts no client span and sends nothing outside a trace', () => {
    exporter.reset();
    const outgoing = tracing.startRpcClientSpan('/tessera.test.v1.Echo/Background');
    const out: Record<string, string> = {};
    outgoing.injectInto(out);
    outgoing.end(0);
    expect(out).toEqual({});
    expect(tracing.startDependencySpan('GET', {})).toBeUndefined();
    expect(exporter.getFinishedSpans()).toEqual([]);
  });

  it('marks server faults, not caller mistakes, as errors on server spans', () => {
    exporter.reset();
    const invalidArgument = tracing.startRpcServerSpan('/tessera.test.v1.Echo/Say', {});
    invalidArgument.end(3);
    const internal = tracing.startRpcServerSpan('/tessera.test.v1.Echo/Say', {});
    internal.end(13, 'boom');
    internal.end(0);
    const [first, second] = exporter.getFinishedSpans();
    expect(first?.status.code).toBe(0);
    expect(second?.status).toEqual({ code: 2, message: 'boom' });
    expect(second?.attributes['rpc.grpc.status_code']).toBe(13);
  });

  it('does nothing at all when tracing is off', () => {
    expect(DISABLED_TRACING.enabled).toBe(false);
    expect(DISABLED_TRACING.logMixin).toBeUndefined();
    const served = DISABLED_TRACING.startRpcServerSpan('/x.Y/Z', {
      traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`,
    });
    const out: Record<string, string> = {};
    served.run(() => DISABLED_TRACING.startRpcClientSpan('/x.Y/Z')).injectInto(out);
    expect(out).toEqual({});
    const listener = () => {};
    expect(DISABLED_TRACING.traceRequests(listener)).toBe(listener);
  });

  it('is off, and loads nothing, when the settings say so', async () => {
    expect(await createTracing(readTracingSettings({}, 'tessera-test'))).toBe(DISABLED_TRACING);
  });
});

describe('trace ids in log lines', () => {
  it('adds trace_id and span_id to lines written inside a span, and nothing outside', () => {
    const lines: Record<string, unknown>[] = [];
    const log = createLogger({
      service: 'tracing-test',
      destination: { write: (line: string) => void lines.push(JSON.parse(line)) },
      mixin: tracing.logMixin,
    });
    log.info('before');
    const served = tracing.startRpcServerSpan('/tessera.test.v1.Echo/Say', {
      traceparent: `00-${TRACE_ID}-${PARENT_ID}-01`,
    });
    served.run(() => log.child({ rpc: 'Say' }).info({ outcome: 'ok' }, 'inside'));
    served.end(0);
    const [before, inside] = lines;
    expect(before).not.toHaveProperty('trace_id');
    expect(inside).toMatchObject({
      msg: 'inside',
      outcome: 'ok',
      trace_id: TRACE_ID,
      span_id: served.span.spanContext().spanId,
    } satisfies Record<string, unknown> & TraceLogFields);
  });
});
