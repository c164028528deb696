import { type ChildProcess, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { findFreePort } from './free-port.js';
import { redisCommand } from './resp-command.js';

/**
 * A throw-away `redis-server` for one test file: its own free port on 127.0.0.1 (never
 * 6379), its own temporary folder, no RDB snapshots, `noeviction`. Tests that need data to
 * survive a kill ask for an append-only file fsynced on every write.
 */

/** Options of `startRedisServer`. */
export interface RedisServerOptions {
  /** Keep an append-only file fsynced on every write, so `restart()` finds the data again. */
  readonly appendOnly?: boolean;
  /** Default `noeviction`. */
  readonly maxmemoryPolicy?: string;
  /** More `redis-server` arguments, e.g. `['--rename-command', 'CONFIG', '']`. */
  readonly extraArgs?: readonly string[];
  /** How long to wait for the first PONG. Default 10 s. */
  readonly readyTimeoutMs?: number;
}

/** A running test Redis. */
export interface RedisServer {
  readonly host: string;
  readonly port: number;
  /** `redis://127.0.0.1:<port>`. */
  readonly url: string;
  /** Its temporary folder (data, log). */
  readonly dir: string;
  /** The current process id (changes on restart). */
  readonly pid: number;
  /**
   * Sends `signal` (default SIGKILL) to the process by PID; waits until it has exited unless
   * the signal only pauses or resumes it (SIGSTOP, SIGCONT), which simulates a stalled server.
   */
  kill(signal?: NodeJS.Signals): Promise<void>;
  /** Starts it again on the same port and folder (stopping it first if it runs). */
  restart(): Promise<void>;
  /** Stops the process and removes the folder; safe to call twice. */
  stop(): Promise<void>;
}

const HOST = '127.0.0.1';
/** Signals that pause or resume a process rather than end it. */
const PAUSE_SIGNALS: ReadonlySet<NodeJS.Signals> = new Set(['SIGSTOP', 'SIGCONT', 'SIGTSTP']);
const running = new Set<ChildProcess>();
let exitHookInstalled = false;

/** A test process that dies must not leave servers behind. */
function installExitHook(): void {
  if (exitHookInstalled) return;
  exitHookInstalled = true;
  process.once('exit', () => {
    for (const child of running) child.kill('SIGKILL');
  });
}

function delay(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

function logTail(logFile: string): string {
  try {
    return readFileSync(logFile, 'utf8').split('\n').slice(-15).join('\n');
  } catch {
    return '(no log)';
  }
}

/** One redis-server process definition that can be (re)started. */
export class RedisProcess {
  readonly port: number;
  readonly dir: string;
  readonly #args: readonly string[];
  readonly #logFile: string;
  #child: ChildProcess | undefined;
  #exited: Promise<void> = Promise.resolve();

  /** `configFile`, when given, comes first (Sentinel mode needs a writable one). */
  constructor(port: number, dir: string, args: readonly string[], configFile?: string) {
    this.port = port;
    this.dir = dir;
    this.#logFile = join(dir, 'redis.log');
    this.#args = [
      ...(configFile === undefined ? [] : [configFile]),
      '--port',
      String(port),
      '--bind',
      HOST,
      '--dir',
      dir,
      '--logfile',
      this.#logFile,
      '--daemonize',
      'no',
      '--save',
      '',
      ...args,
    ];
  }

  get pid(): number {
    return this.#child?.pid ?? -1;
  }

  get running(): boolean {
    return this.#child !== undefined;
  }

  /** Spawns the process and waits until it answers PING. */
  async start(readyTimeoutMs: number): Promise<void> {
    installExitHook();
    const child = spawn('redis-server', this.#args, { stdio: 'ignore' });
    this.#child = child;
    running.add(child);
    let exitCode: number | string | null | undefined;
    this.#exited = new Promise((resolve) => {
      const onGone = (code: number | null, signal?: NodeJS.Signals | null) => {
        exitCode = code ?? signal ?? 'error';
        running.delete(child);
        if (this.#child === child) this.#child = undefined;
        resolve();
      };
      child.once('exit', onGone);
      child.once('error', () => onGone(null));
    });
    const deadline = Date.now() + readyTimeoutMs;
    while (Date.now() < deadline) {
      if (exitCode !== undefined) {
        throw new Error(
          `redis-server on port ${this.port} exited (${exitCode}):\n${logTail(this.#logFile)}`,
        );
      }
      try {
        if ((await redisCommand(this.port, ['PING'], 500)) === 'PONG') return;
      } catch {
        // Not listening yet.
      }
      await delay(20);
    }
    await this.kill('SIGKILL');
    throw new Error(
      `redis-server on port ${this.port} did not answer PING in ${readyTimeoutMs} ms`,
    );
  }

  /** Signals the process by PID and waits for its exit (not for SIGSTOP / SIGCONT). */
  async kill(signal: NodeJS.Signals = 'SIGKILL'): Promise<void> {
    const child = this.#child;
    if (child?.pid === undefined) return;
    process.kill(child.pid, signal);
    if (!PAUSE_SIGNALS.has(signal)) await this.#exited;
  }

  /** SIGTERM, then SIGKILL if it lingers. */
  async stop(): Promise<void> {
    const child = this.#child;
    if (child?.pid === undefined) return;
    // A paused server cannot act on SIGTERM until it runs again.
    process.kill(child.pid, 'SIGCONT');
    process.kill(child.pid, 'SIGTERM');
    const gone = await Promise.race([this.#exited.then(() => true), delay(5000).then(() => false)]);
    if (!gone) await this.kill('SIGKILL');
  }
}

/** A fresh temporary folder for one server. */
export function makeRedisDir(): string {
  return mkdtempSync(join(tmpdir(), 'tessera-redis-'));
}

/** Starts a redis-server on a free port; `stop()` it in `afterAll`. */
export async function startRedisServer(options: RedisServerOptions = {}): Promise<RedisServer> {
  const args = [
    '--maxmemory-policy',
    options.maxmemoryPolicy ?? 'noeviction',
    ...(options.appendOnly
      ? ['--appendonly', 'yes', '--appendfsync', 'always']
      : ['--appendonly', 'no']),
    ...(options.extraArgs ?? []),
  ];
  const readyTimeoutMs = options.readyTimeoutMs ?? 10_000;
  const dir = makeRedisDir();
  let server: RedisProcess | undefined;
  let lastError: unknown;
  // The free port may be taken between the probe and the bind: try a few.
  for (let attempt = 0; attempt < 5 && server === undefined; attempt++) {
    const candidate = new RedisProcess(await findFreePort(), dir, args);
    try {
      await candidate.start(readyTimeoutMs);
      server = candidate;
    } catch (error) {
      lastError = error;
    }
  }
  if (server === undefined) {
    rmSync(dir, { recursive: true, force: true });
    throw lastError;
  }
  const process_ = server;
  let stopped = false;
  return {
    host: HOST,
    port: process_.port,
    url: `redis://${HOST}:${process_.port}`,
    dir,
    get pid() {
      return process_.pid;
    },
    kill: (signal) => process_.kill(signal),
    async restart() {
      await process_.stop();
      await process_.start(readyTimeoutMs);
    },
    async stop() {
      if (stopped) return;
      stopped = true;
      await process_.stop();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}
