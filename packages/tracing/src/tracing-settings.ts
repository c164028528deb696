import { parseEnv } from '@tessera/config';
import { z } from 'zod';

/** The OTLP wire protocols the exporter speaks (`OTEL_EXPORTER_OTLP_PROTOCOL`). */
export type OtlpProtocol = 'grpc' | 'http/protobuf' | 'http/json';

/** The samplers of the OpenTelemetry specification (`OTEL_TRACES_SAMPLER`). */
export type SamplerName =
  | 'always_on'
  | 'always_off'
  | 'traceidratio'
  | 'parentbased_always_on'
  | 'parentbased_always_off'
  | 'parentbased_traceidratio';

/** The propagators understood here (`OTEL_PROPAGATORS`). */
export type PropagatorName = 'tracecontext' | 'baggage';

/** Where finished spans go. */
export type ExporterName = 'otlp' | 'console';

/** Tracing as the environment asks for it, parsed once at start. */
export interface TracingSettings {
  /** False unless an exporter or an OTLP endpoint is named, and always false when disabled. */
  readonly enabled: boolean;
  /** `service.name` of every span. */
  readonly serviceName: string;
  /** Further resource attributes (`OTEL_RESOURCE_ATTRIBUTES`). */
  readonly resourceAttributes: Readonly<Record<string, string>>;
  readonly exporters: readonly ExporterName[];
  readonly otlp: {
    readonly protocol: OtlpProtocol;
    /** The full URL spans are sent to (for HTTP, including `/v1/traces`). */
    readonly url: string;
    /** Sent with every export (collector credentials); never logged. */
    readonly headers: Readonly<Record<string, string>>;
    readonly timeoutMs: number;
  };
  readonly sampler: { readonly name: SamplerName; readonly ratio: number };
  readonly propagators: readonly PropagatorName[];
  readonly batch: {
    readonly scheduleDelayMs: number;
    readonly exportTimeoutMs: number;
    readonly maxQueueSize: number;
    readonly maxExportBatchSize: number;
  };
}

const optional = z
  .string()
  .optional()
  .transform((value) => (value === undefined || value.trim() === '' ? undefined : value.trim()));

const boolean = optional.pipe(
  z
    .enum(['true', 'false', 'TRUE', 'FALSE', 'True', 'False'])
    .optional()
    .transform((value) => value?.toLowerCase() === 'true'),
);

const millis = (fallback: number) =>
  optional.pipe(
    z.coerce.number<string | undefined>().int().min(1).max(600_000).optional().default(fallback),
  );

const count = (fallback: number) =>
  optional.pipe(
    z.coerce.number<string | undefined>().int().min(1).max(1_000_000).optional().default(fallback),
  );

const protocol = optional.pipe(z.enum(['grpc', 'http/protobuf', 'http/json']).optional());

const endpoint = optional.pipe(z.url({ protocol: /^https?$/ }).optional());

/** `key=value,key=value` with percent-encoded values (OTLP headers, resource attributes). */
const keyValueList = optional.transform((value, ctx) => {
  const out: Record<string, string> = {};
  if (value === undefined) return out;
  for (const entry of value.split(',')) {
    if (entry.trim() === '') continue;
    const equals = entry.indexOf('=');
    const key = entry.slice(0, equals).trim();
    if (equals < 1 || key === '') {
      ctx.addIssue({ code: 'custom', message: 'must be a list of key=value pairs' });
      return z.NEVER;
    }
    try {
      out[key] = decodeURIComponent(entry.slice(equals + 1).trim());
    } catch {
      ctx.addIssue({ code: 'custom', message: `the value of ${key} is not percent-encoded` });
      return z.NEVER;
    }
  }
  return out;
});

const list = <T extends string>(values: readonly [T, ...T[]]) =>
  optional.transform((value, ctx): (T | 'none')[] | undefined => {
    if (value === undefined) return undefined;
    const names = value
      .split(',')
      .map((name) => name.trim())
      .filter((name) => name !== '');
    const allowed = new Set<string>([...values, 'none']);
    const unknown = names.find((name) => !allowed.has(name));
    if (unknown !== undefined) {
      ctx.addIssue({
        code: 'custom',
        message: `${unknown} is not supported (use ${[...values, 'none'].join(', ')})`,
      });
      return z.NEVER;
    }
    return names as (T | 'none')[];
  });

const tracingEnvSchema = z.object({
  OTEL_SDK_DISABLED: boolean,
  OTEL_TRACES_EXPORTER: list(['otlp', 'console']),
  OTEL_SERVICE_NAME: optional,
  OTEL_RESOURCE_ATTRIBUTES: keyValueList,
  OTEL_EXPORTER_OTLP_ENDPOINT: endpoint,
  OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint,
  OTEL_EXPORTER_OTLP_PROTOCOL: protocol,
  OTEL_EXPORTER_OTLP_TRACES_PROTOCOL: protocol,
  OTEL_EXPORTER_OTLP_HEADERS: keyValueList,
  OTEL_EXPORTER_OTLP_TRACES_HEADERS: keyValueList,
  OTEL_EXPORTER_OTLP_TIMEOUT: millis(10_000),
  OTEL_EXPORTER_OTLP_TRACES_TIMEOUT: optional.pipe(
    z.coerce.number<string | undefined>().int().min(1).max(600_000).optional(),
  ),
  OTEL_TRACES_SAMPLER: optional.pipe(
    z
      .enum([
        'always_on',
        'always_off',
        'traceidratio',
        'parentbased_always_on',
        'parentbased_always_off',
        'parentbased_traceidratio',
      ])
      .optional()
      .default('parentbased_always_on'),
  ),
  OTEL_TRACES_SAMPLER_ARG: optional.pipe(
    z.coerce.number<string | undefined>().min(0).max(1).optional().default(1),
  ),
  OTEL_PROPAGATORS: list(['tracecontext', 'baggage']),
  OTEL_BSP_SCHEDULE_DELAY: millis(5000),
  OTEL_BSP_EXPORT_TIMEOUT: millis(30_000),
  OTEL_BSP_MAX_QUEUE_SIZE: count(2048),
  OTEL_BSP_MAX_EXPORT_BATCH_SIZE: count(512),
});

/** Every variable {@link readTracingSettings} reads: what a deployment may set for tracing. */
export const TRACING_ENV_NAMES: readonly string[] = Object.freeze(
  Object.keys(tracingEnvSchema.shape),
);

/** The OpenTelemetry default collector addresses, per protocol. */
const DEFAULT_OTLP_BASE: Readonly<Record<OtlpProtocol, string>> = {
  grpc: 'http://localhost:4317',
  'http/protobuf': 'http://localhost:4318',
  'http/json': 'http://localhost:4318',
};

/**
 * Reads the standard OpenTelemetry variables (names and meanings from the OpenTelemetry
 * specification's "Environment Variable Specification"). One departure, on purpose: tracing is
 * opt-in. It is on only when `OTEL_TRACES_EXPORTER` names an exporter, or, with that variable
 * unset, when an OTLP endpoint is given; `OTEL_SDK_DISABLED=true` turns it off whatever else is
 * set. A bad value fails start naming the variable. Call it from a service's `config.ts`.
 *
 * @param defaultServiceName `service.name` when `OTEL_SERVICE_NAME` is unset.
 */
export function readTracingSettings(
  env: Readonly<Record<string, string | undefined>>,
  defaultServiceName: string,
): TracingSettings {
  const parsed = parseEnv(tracingEnvSchema, env);
  const protocol =
    parsed.OTEL_EXPORTER_OTLP_TRACES_PROTOCOL ??
    parsed.OTEL_EXPORTER_OTLP_PROTOCOL ??
    'http/protobuf';
  const endpointGiven =
    parsed.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT !== undefined ||
    parsed.OTEL_EXPORTER_OTLP_ENDPOINT !== undefined;
  const exporters: ExporterName[] =
    parsed.OTEL_TRACES_EXPORTER === undefined
      ? endpointGiven
        ? ['otlp']
        : []
      : parsed.OTEL_TRACES_EXPORTER.filter((name): name is ExporterName => name !== 'none');
  const propagators = (parsed.OTEL_PROPAGATORS ?? ['tracecontext', 'baggage']).filter(
    (name): name is PropagatorName => name !== 'none',
  );
  const { 'service.name': attributeName, ...resourceAttributes } = parsed.OTEL_RESOURCE_ATTRIBUTES;
  return Object.freeze({
    enabled: !parsed.OTEL_SDK_DISABLED && exporters.length > 0,
    serviceName: parsed.OTEL_SERVICE_NAME ?? attributeName ?? defaultServiceName,
    resourceAttributes: Object.freeze(resourceAttributes),
    exporters: Object.freeze(exporters),
    otlp: Object.freeze({
      protocol,
      url: otlpUrl(
        protocol,
        parsed.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT,
        parsed.OTEL_EXPORTER_OTLP_ENDPOINT,
      ),
      headers: Object.freeze({
        ...parsed.OTEL_EXPORTER_OTLP_HEADERS,
        ...parsed.OTEL_EXPORTER_OTLP_TRACES_HEADERS,
      }),
      timeoutMs: parsed.OTEL_EXPORTER_OTLP_TRACES_TIMEOUT ?? parsed.OTEL_EXPORTER_OTLP_TIMEOUT,
    }),
    sampler: Object.freeze({
      name: parsed.OTEL_TRACES_SAMPLER,
      ratio: parsed.OTEL_TRACES_SAMPLER_ARG,
    }),
    propagators: Object.freeze(propagators),
    batch: Object.freeze({
      scheduleDelayMs: parsed.OTEL_BSP_SCHEDULE_DELAY,
      exportTimeoutMs: parsed.OTEL_BSP_EXPORT_TIMEOUT,
      maxQueueSize: parsed.OTEL_BSP_MAX_QUEUE_SIZE,
      maxExportBatchSize: Math.min(
        parsed.OTEL_BSP_MAX_EXPORT_BATCH_SIZE,
        parsed.OTEL_BSP_MAX_QUEUE_SIZE,
      ),
    }),
  });
}

/**
 * The signal-specific endpoint is used as given; the base endpoint gets `/v1/traces` appended
 * for the HTTP protocols (gRPC names no path), as the specification prescribes.
 */
/** `base` without the slashes it ends with (a loop: no pattern to backtrack over env input). */
function withoutTrailingSlashes(base: string): string {
  let end = base.length;
  while (end > 0 && base[end - 1] === '/') end -= 1;
  return base.slice(0, end);
}

function otlpUrl(
  protocol: OtlpProtocol,
  tracesEndpoint: string | undefined,
  baseEndpoint: string | undefined,
): string {
  if (tracesEndpoint !== undefined) return tracesEndpoint;
  const base = baseEndpoint ?? DEFAULT_OTLP_BASE[protocol];
  return protocol === 'grpc' ? base : `${withoutTrailingSlashes(base)}/v1/traces`;
}
