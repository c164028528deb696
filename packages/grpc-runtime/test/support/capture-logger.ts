import { type Logger, pino } from 'pino';

/** A debug-level logger whose JSON lines the test can read back. */
export interface CapturedLogs {
  readonly logger: Logger;
  readonly records: Record<string, unknown>[];
  /** Everything written, raw, for "no secret anywhere" assertions. */
  text(): string;
}

/** pino writes synchronously to a plain `{ write }` destination, so records are complete. */
export function captureLogger(): CapturedLogs {
  const raw: string[] = [];
  const records: Record<string, unknown>[] = [];
  const logger = pino(
    { level: 'debug' },
    {
      write(line: string) {
        raw.push(line);
        records.push(JSON.parse(line) as Record<string, unknown>);
      },
    },
  );
  return { logger, records, text: () => raw.join('') };
}
