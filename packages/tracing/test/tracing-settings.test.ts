import { isTesseraError } from '@tessera/errors';
import { describe, expect, it } from 'vitest';
import { readTracingSettings } from '../src/index.js';

const read = (env: Record<string, string>) => readTracingSettings(env, 'tessera-test');

function failureOf(env: Record<string, string>): string {
  try {
    read(env);
  } catch (error) {
    if (isTesseraError(error, 'INVALID_ARGUMENT')) return error.message;
    throw error;
  }
  throw new Error('expected the settings to be refused');
}

describe('readTracingSettings', () => {
  it('is off when nothing asks for it', () => {
    const settings = read({});
    expect(settings.enabled).toBe(false);
    expect(settings.exporters).toEqual([]);
  });

  it('is on when an exporter is named, or an OTLP endpoint given', () => {
    expect(read({ OTEL_TRACES_EXPORTER: 'otlp' }).enabled).toBe(true);
    expect(read({ OTEL_TRACES_EXPORTER: 'console' }).exporters).toEqual(['console']);
    expect(read({ OTEL_TRACES_EXPORTER: 'otlp,console' }).exporters).toEqual(['otlp', 'console']);
    const byEndpoint = read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318' });
    expect(byEndpoint.enabled).toBe(true);
    expect(byEndpoint.exporters).toEqual(['otlp']);
  });

  it('stays off with OTEL_TRACES_EXPORTER=none or OTEL_SDK_DISABLED=true, whatever else is set', () => {
    expect(
      read({ OTEL_TRACES_EXPORTER: 'none', OTEL_EXPORTER_OTLP_ENDPOINT: 'http://c:4318' }).enabled,
    ).toBe(false);
    expect(read({ OTEL_SDK_DISABLED: 'true', OTEL_TRACES_EXPORTER: 'otlp' }).enabled).toBe(false);
    expect(read({ OTEL_SDK_DISABLED: 'TRUE', OTEL_TRACES_EXPORTER: 'otlp' }).enabled).toBe(false);
    expect(read({ OTEL_SDK_DISABLED: 'false', OTEL_TRACES_EXPORTER: 'otlp' }).enabled).toBe(true);
  });

  it('sends to the default collector over http/protobuf unless told otherwise', () => {
    const settings = read({ OTEL_TRACES_EXPORTER: 'otlp' });
    expect(settings.otlp).toEqual({
      protocol: 'http/protobuf',
      url: 'http://localhost:4318/v1/traces',
      headers: {},
      timeoutMs: 10_000,
    });
    expect(
      read({ OTEL_TRACES_EXPORTER: 'otlp', OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }).otlp.url,
    ).toBe('http://localhost:4317');
  });

  it('appends /v1/traces to the base endpoint for HTTP, and takes the traces endpoint as given', () => {
    expect(read({ OTEL_EXPORTER_OTLP_ENDPOINT: 'https://otel.example.com:4318/' }).otlp.url).toBe(
      'https://otel.example.com:4318/v1/traces',
    );
    expect(
      read({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'https://base.example.com',
        OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example.com/custom',
      }).otlp.url,
    ).toBe('https://traces.example.com/custom');
    expect(
      read({
        OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4317',
        OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: 'grpc',
        OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json',
      }).otlp,
    ).toMatchObject({ protocol: 'grpc', url: 'http://collector:4317' });
  });

  it('reads percent-encoded headers, the traces-specific ones winning, and the timeout', () => {
    const settings = read({
      OTEL_TRACES_EXPORTER: 'otlp',
      OTEL_EXPORTER_OTLP_HEADERS: 'api-key=abc%3D%3D, tenant=one',
      OTEL_EXPORTER_OTLP_TRACES_HEADERS: 'tenant=two',
      OTEL_EXPORTER_OTLP_TIMEOUT: '2500',
    });
    expect(settings.otlp.headers).toEqual({ 'api-key': 'abc==', tenant: 'two' });
    expect(settings.otlp.timeoutMs).toBe(2500);
  });

  it('names the service from OTEL_SERVICE_NAME, then OTEL_RESOURCE_ATTRIBUTES, then the default', () => {
    expect(read({}).serviceName).toBe('tessera-test');
    const fromAttributes = read({
      OTEL_RESOURCE_ATTRIBUTES: 'service.name=auth,deployment.environment.name=prod%20eu',
    });
    expect(fromAttributes.serviceName).toBe('auth');
    expect(fromAttributes.resourceAttributes).toEqual({ 'deployment.environment.name': 'prod eu' });
    expect(
      read({ OTEL_SERVICE_NAME: 'tokens', OTEL_RESOURCE_ATTRIBUTES: 'service.name=auth' })
        .serviceName,
    ).toBe('tokens');
  });

  it('defaults to parent-based always-on sampling and W3C trace context with baggage', () => {
    const settings = read({ OTEL_TRACES_EXPORTER: 'otlp' });
    expect(settings.sampler).toEqual({ name: 'parentbased_always_on', ratio: 1 });
    expect(settings.propagators).toEqual(['tracecontext', 'baggage']);
    expect(
      read({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' })
        .sampler,
    ).toEqual({ name: 'parentbased_traceidratio', ratio: 0.25 });
    expect(read({ OTEL_PROPAGATORS: 'tracecontext' }).propagators).toEqual(['tracecontext']);
    expect(read({ OTEL_PROPAGATORS: 'none' }).propagators).toEqual([]);
  });

  it('refuses a bad value naming the variable', () => {
    expect(failureOf({ OTEL_TRACES_EXPORTER: 'zipkin' })).toMatch(/OTEL_TRACES_EXPORTER: zipkin/);
    expect(failureOf({ OTEL_EXPORTER_OTLP_PROTOCOL: 'thrift' })).toMatch(
      /OTEL_EXPORTER_OTLP_PROTOCOL/,
    );
    expect(failureOf({ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' })).toMatch(
      /OTEL_EXPORTER_OTLP_ENDPOINT/,
    );
    expect(failureOf({ OTEL_TRACES_SAMPLER_ARG: '1.5' })).toMatch(/OTEL_TRACES_SAMPLER_ARG/);
    expect(failureOf({ OTEL_TRACES_SAMPLER: 'sometimes' })).toMatch(/OTEL_TRACES_SAMPLER/);
    expect(failureOf({ OTEL_PROPAGATORS: 'b3' })).toMatch(/OTEL_PROPAGATORS: b3 is not supported/);
    expect(failureOf({ OTEL_EXPORTER_OTLP_HEADERS: 'no-equals-sign' })).toMatch(
      /OTEL_EXPORTER_OTLP_HEADERS/,
    );
    expect(failureOf({ OTEL_SDK_DISABLED: 'yes' })).toMatch(/OTEL_SDK_DISABLED/);
    expect(failureOf({ OTEL_BSP_MAX_QUEUE_SIZE: '0' })).toMatch(/OTEL_BSP_MAX_QUEUE_SIZE/);
  });
});
