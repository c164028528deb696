import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bundles, buildBundles, REPO_ROOT } from './support/bundles.js';
import { type RunResult, runNode } from './support/node-process.js';
import { freePort } from './support/ports.js';

// The command-line conventions scripts rely on: --version, --help with the exit codes, and
// distinct exit codes: 0 valid, 1 invalid token (or a refused request), 2 usage error,
// 3 backend unavailable.

let bundles: Bundles;
beforeAll(async () => {
  bundles = await buildBundles();
});
afterAll(() => bundles?.remove());

const tessera = (args: string[], env: Record<string, string> = {}): Promise<RunResult> =>
  runNode(bundles.cli, args, { env });

const TOKEN = 'eyJhbGciOiJFUzI1NiJ9.eyJzdWIiOiJ4In0.c2ln';

describe('tessera conventions', { timeout: 60_000 }, () => {
  it('--version prints the version and exits 0', async () => {
    const version = (
      JSON.parse(readFileSync(join(REPO_ROOT, 'packages/cli/package.json'), 'utf8')) as {
        version: string;
      }
    ).version;
    for (const flag of ['--version', '-V']) {
      const result = await tessera([flag]);
      expect(result.code).toBe(0);
      expect(result.stdout.trim()).toBe(version);
    }
  });

  it('--help documents the exit codes and exits 0', async () => {
    const result = await tessera(['--help']);
    expect(result.code).toBe(0);
    expect(result.stdout).toContain('-V, --version');
    expect(result.stdout).toMatch(
      /Exit codes:\n {2}0 .*\n {2}1 .*invalid.*\n {2}2 .*usage.*\n {2}3 .*unavailable/,
    );
  });

  it('usage errors exit 2: unknown command or option, missing argument', async () => {
    for (const args of [
      ['nonsense'],
      ['validate', '--bogus', TOKEN],
      ['validate', '--api-key', 'k'],
    ]) {
      const result = await tessera(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(/error:/);
    }
  });

  it('numeric options are checked before anything is sent: exit 2 naming the option', async () => {
    const cases: [string[], RegExp][] = [
      [['vend', '--api-key', 'k', '--deadline', 'abc'], /--deadline/],
      [['vend', '--api-key', 'k', '--deadline', '0'], /--deadline/],
      [['vend', '--api-key', 'k', '--deadline', '1.5'], /--deadline/],
      [['vend', '--api-key', 'k', '--ttl', '-5'], /--ttl/],
      [['vend', '--api-key', 'k', '--ttl', '1e3'], /--ttl/],
      [['validate', '--api-key', 'k', '--deadline', '99999999999', TOKEN], /--deadline/],
    ];
    for (const [args, option] of cases) {
      const result = await tessera(args);
      expect(result.code, args.join(' ')).toBe(2);
      expect(result.stderr, args.join(' ')).toMatch(option);
      expect(result.stderr).toMatch(/whole number/);
    }
  });

  it('addresses must be host:port, from the command line or the environment: exit 2', async () => {
    for (const address of [
      'localhost',
      'localhost:0',
      'host:70000',
      ':50051',
      'a b:1',
      'http://x:1',
    ]) {
      const result = await tessera(['validate', '--api-key', 'k', '--address', address, TOKEN]);
      expect(result.code, address).toBe(2);
      expect(result.stderr, address).toMatch(/--address.*host:port/s);
    }
    const fromEnv = await tessera(['validate', '--api-key', 'k', TOKEN], {
      TESSERA_ISSUER_ADDRESS: 'no-port',
    });
    expect(fromEnv.code).toBe(2);
    const start = await tessera(['start', '--gateway-metrics-address', 'nope']);
    expect(start.code).toBe(2);
    expect(start.stderr).toMatch(/--gateway-metrics-address/);
  });

  it('accepts IPv6 and names as hosts', async () => {
    // A port nobody listens on: the address parses, the call then fails as unavailable.
    const port = await freePort();
    for (const address of [`[::1]:${port}`, `localhost:${port}`]) {
      const result = await tessera([
        'validate',
        '--api-key',
        'k',
        '--deadline',
        '2000',
        '--address',
        address,
        TOKEN,
      ]);
      expect(result.code, address).toBe(3);
    }
  });

  it('an unreachable issuer exits 3, printing the gRPC status by name', async () => {
    const port = await freePort();
    const result = await tessera([
      'validate',
      '--api-key',
      'k',
      '--deadline',
      '2000',
      '--address',
      `127.0.0.1:${port}`,
      TOKEN,
    ]);
    expect(result.code).toBe(3);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^tessera: (UNAVAILABLE|DEADLINE_EXCEEDED): /m);
    expect(result.stderr).not.toMatch(/status \d+/);
  });
});
