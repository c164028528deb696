import { type DestinationStream, type Logger, pino } from 'pino';
import { REDACTED_PATHS } from './redacted-paths.js';

/** What a service says about its logger; everything else is the same for every service. */
export interface LoggerOptions {
  /** The service name, on every line as `service`. */
  readonly service: string;
  /** pino level name (`info` when absent). */
  readonly level?: string | undefined;
  /** Where lines go (stdout when absent); tests pass a capturing stream. */
  readonly destination?: DestinationStream | undefined;
  /**
   * Fields merged into every line at the moment it is written (tracing's `trace_id` and
   * `span_id`); pino calls it for each line, so it is left out when there is nothing to add.
   */
  readonly mixin?: (() => object) | undefined;
}

/** The value written in place of a redacted secret. */
export const REDACTION_CENSOR = '[redacted]';

/**
 * A pino logger writing one JSON object per line, with the level by name (`"level":"info"`,
 * what log pipelines and people read, rather than pino's number), the service name, an
 * ISO-8601 `time` and every secret path of `REDACTED_PATHS` replaced by `[redacted]`.
 */
export function createLogger(options: LoggerOptions): Logger {
  const settings = {
    level: options.level ?? 'info',
    base: { service: options.service },
    timestamp: pino.stdTimeFunctions.isoTime,
    formatters: { level: (label: string) => ({ level: label }) },
    redact: { paths: [...REDACTED_PATHS], censor: REDACTION_CENSOR },
    ...(options.mixin ? { mixin: options.mixin } : {}),
  };
  return options.destination === undefined ? pino(settings) : pino(settings, options.destination);
}
