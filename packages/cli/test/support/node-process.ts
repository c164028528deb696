import { type ChildProcess, spawn } from 'node:child_process';

/** How a process ended. */
export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** A finished process and everything it wrote. */
export interface RunResult extends Exit {
  readonly stdout: string;
  readonly stderr: string;
}

/** Options of {@link runNode} and {@link ProcessTracker.start}. */
export interface NodeProcessOptions {
  /** Added to an environment cleared of every tessera setting the caller's shell may hold. */
  readonly env?: Readonly<Record<string, string>>;
  readonly cwd?: string;
  /** runNode only: the process is killed and the run fails after this long. */
  readonly timeoutMs?: number;
}

// Settings read by the CLI and the services; a developer's shell must not steer the tests.
const TESSERA_ENV =
  /^(TESSERA_|ISSUER_|SESSION_|REDIS_URL$|LOG_LEVEL$|CONFIG_POLL_MS$|SHUTDOWN_GRACE_MS$)/;

function childEnv(extra: Readonly<Record<string, string>> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!TESSERA_ENV.test(name)) env[name] = value;
  }
  return { ...env, ...extra };
}

/** Runs `node script …args` to completion and resolves with its exit and output. */
export function runNode(
  script: string,
  args: readonly string[],
  options: NodeProcessOptions = {},
): Promise<RunResult> {
  const timeoutMs = options.timeoutMs ?? 20_000;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script, ...args], {
      cwd: options.cwd,
      env: childEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
      stderr += chunk;
    });
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`node ${args.join(' ')} did not finish within ${timeoutMs} ms\n${stderr}`));
    }, timeoutMs);
    child.once('error', (error) => {
      clearTimeout(timer);
      reject(error);
    });
    child.once('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal, stdout, stderr });
    });
  });
}

/**
 * A long-running node process, in a process group of its own so that it and everything it
 * starts can be ended together. Its output is kept line by line for waiting and asserting.
 */
export class NodeProcess {
  readonly child: ChildProcess;
  /** Resolves when the process has exited (its children may live on). */
  readonly exited: Promise<Exit>;
  /**
   * Resolves when its output has ended too: every process holding the inherited stdout or
   * stderr (anything it started with `stdio: 'inherit'`) is gone.
   */
  readonly closed: Promise<void>;
  readonly #lines: string[] = [];
  readonly #listeners = new Set<() => void>();
  #stdout = '';
  #stderr = '';
  #exit: Exit | undefined;
  #closed = false;

  constructor(script: string, args: readonly string[], options: NodeProcessOptions = {}) {
    this.child = spawn(process.execPath, [script, ...args], {
      cwd: options.cwd,
      env: childEnv(options.env),
      stdio: ['ignore', 'pipe', 'pipe'],
      detached: true,
    });
    this.#follow(this.child.stdout, (text) => {
      this.#stdout += text;
    });
    this.#follow(this.child.stderr, (text) => {
      this.#stderr += text;
    });
    this.exited = new Promise((resolve) => {
      this.child.once('exit', (code, signal) => {
        this.#exit = { code, signal };
        resolve(this.#exit);
      });
    });
    this.closed = new Promise((resolve) => {
      this.child.once('close', () => {
        this.#closed = true;
        this.#notify();
        resolve();
      });
    });
  }

  /** The process id, which is also its process-group id. */
  get pid(): number {
    const { pid } = this.child;
    if (pid === undefined) throw new Error('the process did not start');
    return pid;
  }

  get running(): boolean {
    return this.#exit === undefined;
  }

  /** Every line written so far to stdout and stderr, in arrival order per stream. */
  get lines(): readonly string[] {
    return this.#lines;
  }

  get stdout(): string {
    return this.#stdout;
  }

  get stderr(): string {
    return this.#stderr;
  }

  /**
   * Resolves with the first line (already written or still to come) that `matches`; rejects
   * when the process exits first or after `timeoutMs`.
   */
  waitForLine(
    matches: (line: string) => boolean,
    what: string,
    timeoutMs = 20_000,
  ): Promise<string> {
    return new Promise((resolve, reject) => {
      let timer: NodeJS.Timeout | undefined;
      const check = () => {
        const line = this.#lines.find(matches);
        const failure =
          line === undefined && this.#closed
            ? `the process ended (${this.#exit?.signal ?? this.#exit?.code}) before ${what}`
            : undefined;
        if (line === undefined && failure === undefined) return;
        this.#listeners.delete(check);
        clearTimeout(timer);
        if (line !== undefined) resolve(line);
        else reject(new Error(`${failure}\n${this.#output()}`));
      };
      timer = setTimeout(() => {
        this.#listeners.delete(check);
        reject(new Error(`no ${what} within ${timeoutMs} ms\n${this.#output()}`));
      }, timeoutMs);
      this.#listeners.add(check);
      check();
    });
  }

  /** Sends `signal` to the process alone (not its group), as a supervisor would. */
  signal(signal: NodeJS.Signals): void {
    this.child.kill(signal);
  }

  /** Waits for the exit, failing after `timeoutMs`. */
  waitForExit(timeoutMs = 20_000): Promise<Exit> {
    return within(this.exited, timeoutMs, 'the process did not exit');
  }

  /** Waits until its output has ended (see {@link closed}), failing after `timeoutMs`. */
  waitForClose(timeoutMs = 20_000): Promise<void> {
    return within(this.closed, timeoutMs, 'the output of the process did not end');
  }

  /** True while any process of its group (the process or anything it started) is alive. */
  groupAlive(): boolean {
    try {
      process.kill(-this.pid, 0);
      return true;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ESRCH') return false;
      throw error;
    }
  }

  /** Ends the process and everything it started with SIGKILL, then waits for the exit. */
  async kill(): Promise<void> {
    if (this.child.pid === undefined) return;
    if (this.groupAlive()) process.kill(-this.child.pid, 'SIGKILL');
    await this.waitForExit(10_000);
  }

  #output(): string {
    return `--- stdout\n${this.#stdout}--- stderr\n${this.#stderr}`;
  }

  #follow(stream: NodeJS.ReadableStream | null, keep: (text: string) => void): void {
    if (stream === null) return;
    let partial = '';
    stream.setEncoding('utf8');
    stream.on('data', (chunk: string) => {
      keep(chunk);
      const parts = (partial + chunk).split('\n');
      partial = parts.pop() ?? '';
      this.#lines.push(...parts);
      this.#notify();
    });
    stream.on('end', () => {
      if (partial !== '') this.#lines.push(partial);
      partial = '';
      this.#notify();
    });
  }

  #notify(): void {
    for (const listener of [...this.#listeners]) listener();
  }
}

async function within<T>(promise: Promise<T>, timeoutMs: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} within ${timeoutMs} ms`)), timeoutMs);
  });
  try {
    return await Promise.race([promise, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

/** Starts node processes and ends every one still running, for an `afterAll`. */
export class ProcessTracker {
  readonly #started: NodeProcess[] = [];

  start(script: string, args: readonly string[], options: NodeProcessOptions = {}): NodeProcess {
    const started = new NodeProcess(script, args, options);
    this.#started.push(started);
    return started;
  }

  async killAll(): Promise<void> {
    await Promise.all(this.#started.map((started) => started.kill()));
  }
}
