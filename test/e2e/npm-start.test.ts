import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bundles, buildBundles } from '../../packages/cli/test/support/bundles.js';
import {
  type NodeProcess,
  ProcessTracker,
  type RunResult,
  runNode,
} from '../../packages/cli/test/support/node-process.js';
import { freePort, isPortFree } from '../../packages/cli/test/support/ports.js';

// `npm start` is `npm run build && node packages/cli/dist/tessera.js start`: the build runs
// once here, and each test starts the CLI the way the script does, on free ports.

let bundles: Bundles;
let dataDir: string;
const processes = new ProcessTracker();

beforeAll(async () => {
  bundles = await buildBundles();
  dataDir = join(mkdtempSync(join(tmpdir(), 'tessera-start-')), 'data');
});

afterAll(async () => {
  await processes.killAll();
  if (dataDir !== undefined) rmSync(join(dataDir, '..'), { recursive: true, force: true });
  bundles?.remove();
});

interface RunningStack {
  readonly cli: NodeProcess;
  readonly address: string;
  readonly issuerPort: number;
  readonly metricsPort: number;
  /** Ports of the services the stack may run beside the issuer (passed through the environment). */
  readonly otherPorts: readonly number[];
  /** What `tessera start` printed up to and including the summary. */
  readonly summary: string;
  readonly apiKey: string;
}

async function startStack(extraArgs: readonly string[] = []): Promise<RunningStack> {
  const issuerPort = await freePort();
  const metricsPort = await freePort();
  const otherPorts = [await freePort(), await freePort(), await freePort(), await freePort()];
  const address = `127.0.0.1:${issuerPort}`;
  const cli = processes.start(
    bundles.cli,
    [
      'start',
      '--data-dir',
      dataDir,
      '--issuer-address',
      address,
      '--issuer-metrics-address',
      `127.0.0.1:${metricsPort}`,
      ...extraArgs,
    ],
    {
      // Free ports for a session service too, so no run of the stack takes a default port.
      env: {
        SESSION_ADDRESS: `127.0.0.1:${otherPorts[0]}`,
        SESSION_METRICS_ADDRESS: `127.0.0.1:${otherPorts[1]}`,
        GATEWAY_ADDRESS: `127.0.0.1:${otherPorts[2]}`,
        GATEWAY_METRICS_ADDRESS: `127.0.0.1:${otherPorts[3]}`,
      },
    },
  );
  await cli.waitForLine((line) => line.startsWith('tessera is running'), '"tessera is running"');
  // The summary is written in one go; its last line closes it.
  await cli.waitForLine((line) => line.startsWith('Ctrl-C stops the stack'), 'the summary');
  const apiKey = /^\s*dev API key\s+(\S+)\s*$/m.exec(cli.stdout)?.[1];
  if (apiKey === undefined) throw new Error(`no dev API key in the output\n${cli.stdout}`);
  return { cli, address, issuerPort, metricsPort, otherPorts, summary: cli.stdout, apiKey };
}

/**
 * Stops the stack and checks that nothing of it is left: `ctrl-c` sends SIGINT to the whole
 * process group, as a terminal does; `sigterm` signals the CLI alone, as a supervisor does,
 * so the CLI must pass the stop on to the issuer itself.
 */
async function stopStack(stack: RunningStack, how: 'ctrl-c' | 'sigterm'): Promise<void> {
  if (how === 'ctrl-c') process.kill(-stack.cli.pid, 'SIGINT');
  else stack.cli.signal('SIGTERM');
  expect(await stack.cli.waitForExit()).toEqual({ code: 0, signal: null });
  // The stack runs in a process group of its own: an orphaned issuer would still be in it.
  expect(stack.cli.groupAlive()).toBe(false);
  await stack.cli.waitForClose();
  expect(await isPortFree(stack.issuerPort)).toBe(true);
  expect(await isPortFree(stack.metricsPort)).toBe(true);
  for (const port of stack.otherPorts) expect(await isPortFree(port)).toBe(true);
}

/** Every live process below `pid` (children, their children, …), read from /proc. */
function descendantsOf(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // /proc/<pid>/stat: "pid (comm) state ppid …"; comm may hold spaces, so read after ')'.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parentOf.set(Number(entry), ppid);
    } catch {
      // the process ended while we looked
    }
  }
  const found: number[] = [];
  const pending = [pid];
  while (pending.length > 0) {
    const parent = pending.pop();
    for (const [child, ppid] of parentOf) {
      if (ppid === parent) {
        found.push(child);
        pending.push(child);
      }
    }
  }
  return found;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    // A zombie (exited, not yet reaped by its new parent) holds no port and runs no code.
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return false;
  }
}

/** Polls until none of `pids` is alive, for at most `timeoutMs`; the survivors. */
async function survivorsAfter(pids: readonly number[], timeoutMs: number): Promise<number[]> {
  const deadline = Date.now() + timeoutMs;
  let left = pids.filter(alive);
  while (left.length > 0 && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    left = left.filter(alive);
  }
  return left;
}

function cli(...args: string[]): Promise<RunResult> {
  return runNode(bundles.cli, args);
}

async function vend(stack: RunningStack, claims: string): Promise<string> {
  const result = await cli(
    'vend',
    '--address',
    stack.address,
    '--api-key',
    stack.apiKey,
    '--claims',
    claims,
  );
  if (result.code !== 0) throw new Error(`vend exited ${result.code}\n${result.stderr}`);
  return result.stdout.trim();
}

function validate(stack: RunningStack, token: string): Promise<RunResult> {
  return cli('validate', '--address', stack.address, '--api-key', stack.apiKey, token);
}

describe('npm start (tessera start on embedded defaults)', { timeout: 90_000 }, () => {
  let firstKey: string;
  let firstToken: string;

  it('creates a development realm, runs the issuer and prints how to use it', async () => {
    const stack = await startStack();
    expect(stack.summary).toContain('tessera is running (development realm, created now)');
    expect(stack.summary).toContain(join(dataDir, 'realm.yaml'));
    expect(stack.summary).toContain(stack.address);
    expect(stack.summary).toContain(`http://127.0.0.1:${stack.metricsPort}/metrics`);
    expect(stack.summary).toContain(`http://127.0.0.1:${stack.otherPorts[3]}/metrics`);
    expect(stack.apiKey.length).toBeGreaterThanOrEqual(32);
    // Not a terminal: the services' lines pass through as JSON, levels by name, and each
    // service says "ok" as it becomes ready.
    expect(stack.summary).toMatch(/^\{"level":"info",.*"service":"issuer"/m);
    for (const ok of [
      /^ok {2}redis-server ready at redis:\/\/127\.0\.0\.1:\d+$/m,
      /^ok {2}session service ready at 127\.0\.0\.1:\d+$/m,
      new RegExp(`^ok {2}issuer ready at ${stack.address}$`, 'm'),
      /^ok {2}gateway ready at http:\/\/127\.0\.0\.1:\d+$/m,
    ])
      expect(stack.summary).toMatch(ok);

    firstKey = stack.apiKey;
    firstToken = await vend(stack, '{"sub":"first-run"}');
    expect(firstToken).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);
    const checked = await validate(stack, firstToken);
    expect(checked.code).toBe(0);
    expect(JSON.parse(checked.stdout)).toMatchObject({ valid: true, claims: { sub: 'first-run' } });

    // The REST gateway it printed answers the FusionAuth API with the printed key.
    const gateway = `http://127.0.0.1:${stack.otherPorts[2]}`;
    expect(stack.summary).toContain(gateway);
    const vended = await fetch(`${gateway}/api/jwt/vend`, {
      method: 'POST',
      headers: { authorization: stack.apiKey, 'content-type': 'application/json' },
      body: JSON.stringify({ claims: { sub: 'over-rest' } }),
    });
    expect(vended.status).toBe(200);
    const { token } = (await vended.json()) as { token: string };
    const validated = await fetch(`${gateway}/api/jwt/validate`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(validated.status).toBe(200);
    expect(await validated.json()).toMatchObject({ jwt: { sub: 'over-rest' } });

    await stopStack(stack, 'ctrl-c');
  });

  it('reuses the realm on the next start: same API key, and earlier tokens still validate', async () => {
    expect(firstToken).toBeDefined();
    const stack = await startStack(['--log-format', 'pretty']);
    expect(stack.summary).toContain('tessera is running (development realm, reused)');
    // One readable line per event instead of JSON.
    expect(stack.summary).toMatch(/^\d\d:\d\d:\d\d\.\d{3} INFO {2}issuer {2}\S.*$/m);
    expect(stack.summary).not.toMatch(/^\{/m);
    expect(stack.summary).toMatch(/^ok {2}issuer ready at /m);
    expect(stack.apiKey).toBe(firstKey);

    const checked = await validate(stack, firstToken);
    expect(checked.code).toBe(0);
    expect(JSON.parse(checked.stdout)).toMatchObject({ valid: true, claims: { sub: 'first-run' } });

    await stopStack(stack, 'sigterm');
  });

  // A closed terminal sends SIGHUP; a supervisor may be killed outright. Either way nothing
  // of the stack may be left holding its ports (security finding 14).
  for (const how of ['SIGHUP', 'SIGKILL'] as const) {
    it(`finding 14: ${how} of the supervisor leaves no process of the stack within 10 s`, async () => {
      const stack = await startStack();
      const stackPids = descendantsOf(stack.cli.pid);
      // session, issuer, gateway, and redis-server under its guard
      expect(stackPids.length).toBeGreaterThanOrEqual(4);

      try {
        stack.cli.signal(how);
        await stack.cli.waitForExit();
        expect(await survivorsAfter(stackPids, 10_000)).toEqual([]);
        expect(await isPortFree(stack.issuerPort)).toBe(true);
        expect(await isPortFree(stack.metricsPort)).toBe(true);
        for (const port of stack.otherPorts) expect(await isPortFree(port)).toBe(true);
      } finally {
        // Survivors of a failed run would hold ports of later tests.
        for (const pid of stackPids.filter(alive)) process.kill(pid, 'SIGKILL');
      }
    });
  }
});
