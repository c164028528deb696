/**
 * Opt-in OpenTelemetry tracing for tessera's services, configured by the standard `OTEL_*`
 * variables and off unless asked for (see this package's README):
 * - `readTracingSettings(env, serviceName)` parses the variables once (a service's config.ts);
 * - `createTracing(settings)` builds the service's `Tracing`, a no-op when off;
 * - `Tracing` starts RPC client and server spans (W3C `traceparent` into and out of plain
 *   header records, so any transport can carry it), HTTP server spans, dependency spans
 *   (Redis), and gives pino a mixin that puts `trace_id` / `span_id` on every log line.
 */

export { SpanStatusCode } from '@opentelemetry/api';
export type { HeaderSink, HeaderSource } from './carriers.js';
export { createTracing, type TracingOptions } from './create-tracing.js';
export {
  DISABLED_TRACING,
  type RequestListener,
  type RpcClientSpan,
  type RpcServerSpan,
  type TraceLogFields,
  type Tracing,
} from './tracing.js';
export {
  type ExporterName,
  type OtlpProtocol,
  type PropagatorName,
  readTracingSettings,
  type SamplerName,
  TRACING_ENV_NAMES,
  type TracingSettings,
} from './tracing-settings.js';
