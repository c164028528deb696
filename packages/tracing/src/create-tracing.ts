import { type DiagLogger, DiagLogLevel, diag, type TextMapPropagator } from '@opentelemetry/api';
import type { Sampler, SpanExporter, SpanProcessor } from '@opentelemetry/sdk-trace';
import { DISABLED_TRACING, type Tracing, tracingFrom } from './tracing.js';
import type { TracingSettings } from './tracing-settings.js';

/** What a service passes besides its settings. */
export interface TracingOptions {
  /**
   * Replaces the exporters the settings name; spans are then handed over one by one as they
   * end (tests pass an in-memory exporter).
   */
  readonly exporter?: SpanExporter;
  /** Receives the SDK's own warnings (an unreachable collector, a full queue). */
  readonly log?: { warn(message: string): void; error(message: string): void };
}

const TRACER_NAME = 'tessera';

let contextManagerInstalled = false;

/**
 * Tracing as `settings` ask for it. Off (the default), it loads no SDK, registers nothing and
 * returns {@link DISABLED_TRACING}. On, it builds a tracer provider of its own for this service
 * (`service.name` and the resource attributes, the sampler, a batch processor per exporter),
 * the propagators, and installs the AsyncLocalStorage context manager once per process, so
 * the active span follows the code through callbacks and promises.
 */
export async function createTracing(
  settings: TracingSettings,
  options: TracingOptions = {},
): Promise<Tracing> {
  if (!settings.enabled) return DISABLED_TRACING;
  // Loaded only when tracing is on: a service that does not trace never pays for the SDK.
  const [sdk, { resourceFromAttributes }, core, { AsyncLocalStorageContextManager }, { context }] =
    await Promise.all([
      import('@opentelemetry/sdk-trace'),
      import('@opentelemetry/resources'),
      import('@opentelemetry/core'),
      import('@opentelemetry/context-async-hooks'),
      import('@opentelemetry/api'),
    ]);
  if (!contextManagerInstalled) {
    context.setGlobalContextManager(new AsyncLocalStorageContextManager().enable());
    contextManagerInstalled = true;
  }
  if (options.log) diag.setLogger(diagLogger(options.log), DiagLogLevel.WARN);

  const processors: SpanProcessor[] = [];
  if (options.exporter) {
    processors.push(new sdk.SimpleSpanProcessor({ exporter: options.exporter }));
  } else {
    for (const name of settings.exporters) {
      const exporter =
        name === 'console' ? new sdk.ConsoleSpanExporter() : await otlpExporter(settings);
      processors.push(
        new sdk.BatchSpanProcessor({
          exporter,
          scheduledDelayMillis: settings.batch.scheduleDelayMs,
          exportTimeoutMillis: settings.batch.exportTimeoutMs,
          maxQueueSize: settings.batch.maxQueueSize,
          maxExportBatchSize: settings.batch.maxExportBatchSize,
        }),
      );
    }
  }

  const provider = new sdk.TracerProvider({
    resource: resourceFromAttributes({
      ...settings.resourceAttributes,
      'service.name': settings.serviceName,
    }),
    sampler: samplerOf(sdk, settings.sampler),
    spanProcessors: processors,
  });
  const propagators: TextMapPropagator[] = settings.propagators.map((name) =>
    name === 'tracecontext'
      ? new core.W3CTraceContextPropagator()
      : new core.W3CBaggagePropagator(),
  );
  return tracingFrom({
    tracer: provider.getTracer(TRACER_NAME),
    propagator: new core.CompositePropagator({ propagators }),
    shutdown: () => provider.shutdown(),
  });
}

type Sdk = typeof import('@opentelemetry/sdk-trace');

function samplerOf(sdk: Sdk, sampler: TracingSettings['sampler']): Sampler {
  switch (sampler.name) {
    case 'always_on':
      return new sdk.AlwaysOnSampler();
    case 'always_off':
      return new sdk.AlwaysOffSampler();
    case 'traceidratio':
      return new sdk.TraceIdRatioBasedSampler(sampler.ratio);
    case 'parentbased_always_on':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOnSampler() });
    case 'parentbased_always_off':
      return new sdk.ParentBasedSampler({ root: new sdk.AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new sdk.ParentBasedSampler({
        root: new sdk.TraceIdRatioBasedSampler(sampler.ratio),
      });
  }
}

async function otlpExporter(settings: TracingSettings): Promise<SpanExporter> {
  const { protocol, url, headers, timeoutMs } = settings.otlp;
  switch (protocol) {
    case 'grpc': {
      const [{ OTLPTraceExporter }, { Metadata }] = await Promise.all([
        import('@opentelemetry/exporter-trace-otlp-grpc'),
        import('@grpc/grpc-js'),
      ]);
      const metadata = new Metadata();
      for (const [name, value] of Object.entries(headers)) metadata.set(name, value);
      return new OTLPTraceExporter({ url, metadata, timeoutMillis: timeoutMs });
    }
    case 'http/protobuf': {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-proto');
      return new OTLPTraceExporter({ url, headers: { ...headers }, timeoutMillis: timeoutMs });
    }
    case 'http/json': {
      const { OTLPTraceExporter } = await import('@opentelemetry/exporter-trace-otlp-http');
      return new OTLPTraceExporter({ url, headers: { ...headers }, timeoutMillis: timeoutMs });
    }
  }
}

function diagLogger(log: NonNullable<TracingOptions['log']>): DiagLogger {
  const ignore = () => {};
  return {
    error: (message) => log.error(`opentelemetry: ${message}`),
    warn: (message) => log.warn(`opentelemetry: ${message}`),
    info: ignore,
    debug: ignore,
    verbose: ignore,
  };
}
