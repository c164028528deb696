import { execFile, execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../src/check-breaking.mjs', import.meta.url));
const repoProto = fileURLToPath(new URL('../../../proto', import.meta.url));
const ISSUER = 'proto/tessera/issuer/v1/issuer.proto';

let scratch: string | undefined;
afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

function git(...args: string[]) {
  execFileSync('git', ['-c', 'user.name=t', '-c', 'user.email=t@example.com', ...args], {
    cwd: scratch,
    stdio: 'ignore',
  });
}

/** A repository holding this one's proto/ committed on `branch`, then a branch off it. */
function repositoryWith(branch: string) {
  scratch = mkdtempSync(join(tmpdir(), 'tessera-breaking-'));
  git('init', '-q', '-b', branch);
  cpSync(repoProto, join(scratch, 'proto'), { recursive: true });
  git('add', '-A');
  git('commit', '-q', '-m', 'contracts');
  git('checkout', '-q', '-b', 'change');
  return scratch;
}

function edit(dir: string, from: string, to: string) {
  const path = join(dir, ISSUER);
  const text = readFileSync(path, 'utf8');
  expect(text).toContain(from);
  writeFileSync(path, text.replace(from, to));
}

async function check(dir: string, env: Record<string, string> = {}) {
  return run(process.execPath, [script, dir], { env: { ...process.env, ...env } }).then(
    ({ stdout }) => ({ code: 0, output: stdout }),
    (error: { code: number; stdout: string; stderr: string }) => ({
      code: error.code,
      output: error.stdout + error.stderr,
    }),
  );
}

describe('check-breaking (buf breaking against main)', () => {
  it('fails on a renumbered field, naming it, and on a changed language option', async () => {
    const dir = repositoryWith('main');
    edit(dir, 'string token = 2;', 'string token = 9;');
    const renumbered = await check(dir);
    expect(renumbered.code).toBe(1);
    expect(renumbered.output).toMatch(/Previously present field "2" with name "token"/);
    expect(renumbered.output).toContain('breaks the contract as of main');

    git('checkout', '-q', '--', '.');
    edit(dir, 'java_package = "dev.tessera.issuer.v1"', 'java_package = "dev.tessera.issuer"');
    const option = await check(dir);
    expect(option.code).toBe(1);
    expect(option.output).toMatch(/java_package/);
  }, 60_000);

  it('passes a compatible change (a new field) and compares with the merge-base', async () => {
    const dir = repositoryWith('main');
    edit(dir, 'message ValidateRequest {', 'message ValidateRequest {\n  string added_field = 90;');
    const result = await check(dir);
    expect(result).toMatchObject({
      code: 0,
      output: expect.stringContaining('is compatible with main'),
    });
  }, 60_000);

  it('says how to fetch main when the clone has none, and passes', async () => {
    const dir = repositoryWith('trunk');
    edit(dir, 'string token = 2;', 'string token = 9;');
    const result = await check(dir);
    expect(result.code).toBe(0);
    expect(result.output).toContain('has no main branch');
    expect(result.output).toContain('git fetch origin main:main');
    // Told where to look, it checks.
    expect((await check(dir, { BUF_BREAKING_AGAINST: 'trunk' })).code).toBe(1);
  }, 60_000);
});
