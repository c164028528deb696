/**
 * The servers under test run as child processes, so that the load generator in this process
 * does not share their CPU time; /proc tells what each one spent and holds.
 */
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { once } from 'node:events';
import { existsSync, readFileSync } from 'node:fs';
import { constants } from 'node:os';
import { createInterface } from 'node:readline';

/** A server running in a child process. */
export interface ChildServer {
  readonly name: string;
  readonly pid: number;
  readonly port: number;
  /** SIGTERM, then SIGKILL if it has not exited within 5 s. */
  stop(): Promise<void>;
}

/** Options of {@link startChildServer}. */
export interface ChildServerOptions {
  readonly cwd: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly readyTimeoutMs?: number;
  /**
   * The port a line of the child's (parsed JSON) output announces, if it announces one; by
   * default its numeric `port` field.
   */
  readonly portOf?: (line: Readonly<Record<string, unknown>>) => number | undefined;
}

const STOP_GRACE_MS = 5_000;
/** pino's `warn` and above, by name (tessera's loggers write level names): passed on to stderr. */
const PASSED_ON_LEVELS = new Set(['warn', 'error', 'fatal']);

const running = new Set<ChildProcess>();
const exitCleanups = new Set<() => void>();
// A crash skips every `finally`; without this, a crashed bench would leave its servers behind.
process.once('exit', () => {
  for (const child of running) child.kill('SIGKILL');
  for (const cleanup of exitCleanups) cleanup();
});
// A signal ends the process without the 'exit' event; exiting instead runs this module's
// hook and startRedisServer's, so an interrupted bench leaves nothing running either.
for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    process.stderr.write(`bench: ${signal}, stopping what it started\n`);
    process.exit(128 + constants.signals[signal]);
  });
}

/**
 * Runs `cleanup` (synchronous: removing a temporary folder, say) if the bench exits before
 * the returned function is called, which is what a normal stop does once it has cleaned up.
 */
export function onExit(cleanup: () => void): () => void {
  exitCleanups.add(cleanup);
  return () => exitCleanups.delete(cleanup);
}

/**
 * Starts `node ...args` and resolves once it prints a JSON line announcing its port: by
 * default one with a numeric `port` (the echo servers' `{"port":N}`, the issuer's "issuer
 * listening" and the session service's "session service listening" log lines), otherwise
 * whatever `options.portOf` reads from a line.
 */
export async function startChildServer(
  name: string,
  args: readonly string[],
  options: ChildServerOptions,
): Promise<ChildServer> {
  const child = spawn(process.execPath, args, {
    cwd: options.cwd,
    env: options.env ?? process.env,
    stdio: ['pipe', 'pipe', 'inherit'],
  });
  running.add(child);
  child.once('exit', () => running.delete(child));
  const lines = createInterface({ input: child.stdout });
  // Reading every line keeps the pipe drained so the child never blocks on it; its warnings
  // and errors (a failed start, above all) are passed on.
  lines.on('line', (line) => {
    const level = parseLine(line)?.level;
    if (typeof level === 'string' && PASSED_ON_LEVELS.has(level)) {
      process.stderr.write(`${name}: ${line}\n`);
    }
  });
  const readyTimeoutMs = options.readyTimeoutMs ?? 30_000;
  const portOf = options.portOf ?? numericPort;
  const port = await new Promise<number>((resolve, reject) => {
    const onLine = (line: string) => {
      const fields = parseLine(line);
      const found = fields === undefined ? undefined : portOf(fields);
      if (found !== undefined) settle(found);
    };
    const onExit = (code: number | null, signal: string | null) =>
      settle(new Error(`${name} exited (${code ?? signal}) before it listened`));
    const timer = setTimeout(
      () => settle(new Error(`${name} did not listen within ${readyTimeoutMs} ms`)),
      readyTimeoutMs,
    );
    function settle(outcome: number | Error) {
      clearTimeout(timer);
      lines.off('line', onLine);
      child.off('exit', onExit);
      child.off('error', settle);
      if (typeof outcome === 'number') return resolve(outcome);
      child.kill('SIGKILL');
      reject(outcome);
    }
    lines.on('line', onLine);
    child.on('exit', onExit);
    child.on('error', settle);
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error(`${name} has no pid`);
  return {
    name,
    pid,
    port,
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = once(child, 'exit');
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), STOP_GRACE_MS);
      await exited;
      clearTimeout(timer);
    },
  };
}

function numericPort(line: Readonly<Record<string, unknown>>): number | undefined {
  return typeof line.port === 'number' ? line.port : undefined;
}

function parseLine(line: string): Record<string, unknown> | undefined {
  if (!line.startsWith('{')) return undefined;
  try {
    const value: unknown = JSON.parse(line);
    return typeof value === 'object' && value !== null
      ? (value as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** CPU time and memory of a process, from /proc (Linux). */
export interface ProcessStats {
  /** User + system time of every thread, in seconds (clock-tick resolution). */
  readonly cpuSeconds: number;
  readonly rssBytes: number;
  readonly peakRssBytes: number;
}

let clockTicksPerSecond: number | undefined;

/** Stats of `pid`; undefined where there is no /proc. */
export function processStats(pid: number): ProcessStats | undefined {
  if (!existsSync(`/proc/${pid}/stat`)) return undefined;
  clockTicksPerSecond ??= Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }));
  // The command name (field 2) may hold spaces and parentheses: count fields after its ')'.
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const ticks = Number(fields[11]) + Number(fields[12]); // utime, stime (fields 14 and 15)
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kib = (key: string) => Number(new RegExp(`^${key}:\\s+(\\d+) kB`, 'm').exec(status)?.[1]);
  return {
    cpuSeconds: ticks / clockTicksPerSecond,
    rssBytes: kib('VmRSS') * 1024,
    peakRssBytes: kib('VmHWM') * 1024,
  };
}
