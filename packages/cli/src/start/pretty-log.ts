/**
 * How `tessera start` shows the services' logs: `json` passes their lines through untouched
 * (for a log shipper or `jq`); `pretty` turns each JSON line into one readable line:
 * `12:00:01.234 INFO  issuer  rpc finished rpc=/tessera.issuer.v1.IssuerService/Vend code=OK`.
 */
export type LogFormat = 'json' | 'pretty';

/** The formats `--log-format` accepts. */
export const LOG_FORMATS: readonly LogFormat[] = ['json', 'pretty'];

/** Readable on a terminal, untouched when piped (a file, a shipper, a test). */
export function defaultLogFormat(stdoutIsTty: boolean | undefined): LogFormat {
  return stdoutIsTty ? 'pretty' : 'json';
}

// Fields every line has, shown in the line's head rather than as key=value.
const HEAD_FIELDS = new Set(['level', 'time', 'service', 'msg', 'pid', 'hostname']);

const LEVEL_COLORS: Readonly<Record<string, string>> = {
  trace: '\u001b[90m',
  debug: '\u001b[36m',
  info: '\u001b[32m',
  warn: '\u001b[33m',
  error: '\u001b[31m',
  fatal: '\u001b[35m',
};
const RESET = '\u001b[0m';

// pino's numbers, for a service built before level names.
const LEVEL_BY_NUMBER: Readonly<Record<number, string>> = {
  10: 'trace',
  20: 'debug',
  30: 'info',
  40: 'warn',
  50: 'error',
  60: 'fatal',
};

function levelName(value: unknown): string {
  if (typeof value === 'string') return value;
  if (typeof value === 'number') return LEVEL_BY_NUMBER[value] ?? String(value);
  return 'info';
}

function clockTime(value: unknown): string {
  if (typeof value !== 'string' && typeof value !== 'number') return '';
  const date = new Date(value);
  return Number.isNaN(date.getTime()) ? '' : date.toISOString().slice(11, 23);
}

function shown(value: unknown): string {
  if (typeof value === 'string') return /^[^\s"=]+$/.test(value) ? value : JSON.stringify(value);
  if (value instanceof Object) {
    // An error keeps its type and message on the line; the stack stays in the JSON format.
    if ('message' in value && typeof value.message === 'string') {
      const type = 'type' in value && typeof value.type === 'string' ? `${value.type}: ` : '';
      return JSON.stringify(`${type}${value.message}`);
    }
    return JSON.stringify(value);
  }
  return String(value);
}

/**
 * One service log line, readable. A line that is not a JSON object (a crash trace, a
 * warning from Node) is returned as it is.
 */
export function prettyLogLine(line: string, options: { readonly color: boolean }): string {
  let record: unknown;
  try {
    record = JSON.parse(line);
  } catch {
    return line;
  }
  if (typeof record !== 'object' || record === null || Array.isArray(record)) return line;
  const fields = record as Record<string, unknown>;
  const level = levelName(fields.level);
  const label = level.toUpperCase().padEnd(5);
  const head = [
    clockTime(fields.time),
    options.color ? `${LEVEL_COLORS[level] ?? ''}${label}${RESET}` : label,
    String(fields.service ?? '').padEnd(7),
    String(fields.msg ?? ''),
  ]
    .filter((part) => part !== '')
    .join(' ');
  const rest = Object.entries(fields)
    .filter(([key, value]) => !HEAD_FIELDS.has(key) && value !== undefined)
    .map(([key, value]) => `${key}=${shown(value)}`);
  return rest.length === 0 ? head : `${head} ${rest.join(' ')}`;
}
