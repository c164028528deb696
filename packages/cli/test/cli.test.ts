import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { type StandardRealm, writeStandardRealm } from '@tessera/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Bundles, buildBundles } from './support/bundles.js';
import {
  type NodeProcess,
  ProcessTracker,
  type RunResult,
  runNode,
} from './support/node-process.js';
import { freePort } from './support/ports.js';

let bundles: Bundles;
const processes = new ProcessTracker();
const dirs: string[] = [];

beforeAll(async () => {
  bundles = await buildBundles();
});

afterAll(async () => {
  await processes.killAll();
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
  bundles?.remove();
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'tessera-cli-'));
  dirs.push(dir);
  return dir;
}

/** `node packages/cli/dist/tessera.js …args`. */
const tessera = (...args: string[]): Promise<RunResult> => runNode(bundles.cli, args);

/** Runs the CLI and fails with its output unless it exits 0. */
async function tesseraOk(...args: string[]): Promise<RunResult> {
  const result = await tessera(...args);
  if (result.code !== 0) {
    throw new Error(
      `tessera ${args.join(' ')} exited ${result.code}\n${result.stdout}${result.stderr}`,
    );
  }
  return result;
}

const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'];

const realmYaml = (keysFile: string, issuer = 'https://cli.example') => `mode: production
keys: { file: ${keysFile} }
tenants:
  - id: 2f0c7a3e-5b1d-4e8f-9a6c-1d2e3f4a5b6c
    name: CLI
    issuer: '${issuer}'
`;

describe('tessera keys', { timeout: 90_000 }, () => {
  let dir: string;
  let file: string;

  beforeAll(async () => {
    dir = tempDir();
    file = join(dir, 'k.json');
    const added = await tesseraOk(
      'keys',
      'generate',
      '-f',
      file,
      '-a',
      'ES256',
      '-k',
      'k1',
      '-s',
      'current',
    );
    expect(added.stdout).toContain('k1');
    await tesseraOk('keys', 'generate', '-f', file, '-a', 'RS256', '-k', 'k2');
    await tesseraOk('keys', 'generate', '-f', file, '-a', 'HS256', '-k', 'h1');
  });

  it('writes the key file readable only by its owner and lists every key', async () => {
    expect(statSync(file).mode & 0o777).toBe(0o600);
    // Written atomically (a temporary file renamed into place): nothing else is left beside it.
    expect(readdirSync(dirname(file)).filter((name) => name.endsWith('.tmp'))).toEqual([]);
    const listed = await tesseraOk('keys', 'list', '-f', file);
    expect(listed.stdout.trim().split('\n')).toEqual([
      'k1\tES256\tcurrent',
      'k2\tRS256\tnext',
      'h1\tHS256\tnext',
    ]);
  });

  it('publishes the public halves of the asymmetric keys only', async () => {
    const published = await tesseraOk('keys', 'public', '-f', file);
    const jwks = JSON.parse(published.stdout) as { keys: Record<string, unknown>[] };
    expect(jwks.keys.map((key) => key.kid)).toEqual(['k1', 'k2']);
    expect(jwks.keys.map((key) => key.alg)).toEqual(['ES256', 'RS256']);
    for (const key of jwks.keys) {
      for (const member of PRIVATE_JWK_MEMBERS) expect(key).not.toHaveProperty(member);
    }
  });

  it('refuses a second key with a kid the file already holds, leaving the file as it was', async () => {
    const again = await tessera('keys', 'generate', '-f', file, '-k', 'k1');
    expect(again.code).not.toBe(0);
    expect(again.stderr).toContain('k1');
    expect((await tesseraOk('keys', 'list', '-f', file)).stdout.trim().split('\n')).toHaveLength(3);
  });

  it('refuses to move a key that is not in the file', async () => {
    const missing = await tessera('keys', 'set-state', '-f', file, '-k', 'nope', '-s', 'retired');
    expect(missing.code).not.toBe(0);
    expect(missing.stderr).toContain('nope');
  });

  it('moves keys through their lifecycle, and realm check holds each tenant to one current key', async () => {
    const realmFile = join(dir, 'realm.yaml');
    writeFileSync(realmFile, realmYaml('k.json'));
    expect((await tesseraOk('realm', 'check', realmFile)).stdout).toContain('valid');

    await tesseraOk('keys', 'set-state', '-f', file, '-k', 'k2', '-s', 'current');
    const twoCurrent = await tessera('realm', 'check', realmFile);
    expect(twoCurrent.code).not.toBe(0);
    expect(twoCurrent.stdout).not.toContain('valid');
    expect(twoCurrent.stderr).toContain('INVALID_ARGUMENT');
    expect(twoCurrent.stderr).toContain('tenants[0]');
    expect(twoCurrent.stderr).toContain('k1, k2');

    await tesseraOk('keys', 'set-state', '-f', file, '-k', 'k1', '-s', 'retired');
    const rotated = await tesseraOk('realm', 'check', realmFile);
    expect(rotated.stdout).toContain('valid');
    expect(rotated.stdout).toContain('k1 ES256 retired');
    expect(rotated.stdout).toContain('k2 RS256 current');
  });
});

describe('tessera realm check', { timeout: 60_000 }, () => {
  it('names the key path of a bad value and exits non-zero', async () => {
    const dir = tempDir();
    await tesseraOk('keys', 'generate', '-f', join(dir, 'k.json'), '-s', 'current');
    const realmFile = join(dir, 'realm.yaml');
    writeFileSync(realmFile, realmYaml('k.json', ''));

    const result = await tessera('realm', 'check', realmFile);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain('INVALID_ARGUMENT');
    expect(result.stderr).toContain(realmFile);
    expect(result.stderr).toContain('tenants[0].issuer');
    expect(result.stdout).not.toContain('valid');
  });

  it('names a realm file that cannot be read', async () => {
    const realmFile = join(tempDir(), 'missing.yaml');
    const result = await tessera('realm', 'check', realmFile);
    expect(result.code).not.toBe(0);
    expect(result.stderr).toContain(realmFile);
    expect(result.stderr).toContain('ENOENT');
  });

  it('prints valid for a good realm, with its tenants and keys', async () => {
    const dir = tempDir();
    await tesseraOk('keys', 'generate', '-f', join(dir, 'k.json'), '-k', 'only', '-s', 'current');
    const realmFile = join(dir, 'realm.yaml');
    writeFileSync(realmFile, realmYaml('k.json'));

    const result = await tesseraOk('realm', 'check', realmFile);
    expect(result.stdout).toContain(`${realmFile}: valid (production)`);
    expect(result.stdout).toContain('2f0c7a3e-5b1d-4e8f-9a6c-1d2e3f4a5b6c');
    expect(result.stdout).toContain('only ES256 current');
    expect(result.stdout).not.toContain('warning');
  });

  it('security finding 7: warns about identity providers that bind no issuer or audience', async () => {
    const dir = tempDir();
    await tesseraOk('keys', 'generate', '-f', join(dir, 'k.json'), '-k', 'only', '-s', 'current');
    const realmFile = join(dir, 'realm.yaml');
    writeFileSync(
      realmFile,
      `${realmYaml('k.json')}identityProviders:
  - { id: 5a0c7a3e-5b1d-4e8f-9a6c-1d2e3f4a5b6c, name: Partner, keys: { pem: { k: x } } }
`,
    );
    const result = await tesseraOk('realm', 'check', realmFile);
    expect(result.stdout).toContain(`${realmFile}: valid (production)`);
    expect(result.stdout).toContain('warning: identityProviders[0].issuer: not set');
    expect(result.stdout).toContain('warning: identityProviders[0].audience: not set');
  });
});

describe('security finding 12 — tessera realm check warns about weak API keys', {
  timeout: 60_000,
}, () => {
  const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');
  const APP = '6b1e0c2a-3d4f-4a5b-8c6d-7e8f9a0b1c2d';
  const realmWithKeys = async (apiKeys: string) => {
    const dir = tempDir();
    await tesseraOk('keys', 'generate', '-f', join(dir, 'k.json'), '-k', 'only', '-s', 'current');
    const realmFile = join(dir, 'realm.yaml');
    writeFileSync(
      realmFile,
      `${realmYaml('k.json')}applications:
  - id: ${APP}
    tenantId: 2f0c7a3e-5b1d-4e8f-9a6c-1d2e3f4a5b6c
    name: App
apiKeys:
${apiKeys}`,
    );
    return realmFile;
  };

  it('finding 12: warns, and still exits 0, for a keyHash that is the SHA-256 of a well-known password', async () => {
    const realmFile = await realmWithKeys(`  - id: readme-example
    keyHash: ${sha256('password')}
    permissions: { /api/jwt/validate: [GET] }
  - id: also-weak
    keyHash: ${sha256('changeme')}
    permissions: { /api/jwt/validate: [GET] }
  - id: random
    keyHash: ${sha256('tsk_6Qm1dW3x9Lr0pVb7Zk2nHs5TcY8aEe4uJf1gO0iR3qU')}
    permissions: { /api/jwt/validate: [GET] }
`);
    const result = await tesseraOk('realm', 'check', realmFile);
    expect(result.stdout).toContain(`${realmFile}: valid (production)`);
    const warnings = result.stdout.split('\n').filter((line) => line.includes('warning:'));
    expect(warnings).toHaveLength(2);
    expect(warnings[0]).toContain('readme-example');
    expect(warnings[0]).toContain('"password"');
    expect(warnings[0]).toContain('tessera apikey generate');
    expect(warnings[1]).toContain('also-weak');
  });

  it('finding 12: warns for application-bound or scope-only keys without permissions, not for restricted ones', async () => {
    const key = (n: number) => sha256(`tsk_random-key-number-${n}-for-the-test`);
    const realmFile = await realmWithKeys(`  - id: app-unrestricted
    keyHash: ${key(1)}
    applicationId: ${APP}
  - id: scope-unrestricted
    keyHash: ${key(2)}
    scopes: [AuthenticationToken.Write]
  - id: app-restricted
    keyHash: ${key(3)}
    applicationId: ${APP}
    permissions: { tessera.issuer.v1.IssuerService/IssueApplicationToken: [CALL] }
  - id: admin
    keyHash: ${key(4)}
`);
    const result = await tesseraOk('realm', 'check', realmFile);
    const warnings = result.stdout.split('\n').filter((line) => line.includes('warning:'));
    expect(warnings).toEqual([
      expect.stringMatching(/app-unrestricted: is bound to application .* no permissions/),
      expect.stringMatching(
        /scope-unrestricted: is given scopes \(AuthenticationToken\.Write\) .* no permissions/,
      ),
    ]);
  });

  it('prints no warning for the documented realm of a fresh install', async () => {
    const dir = tempDir();
    await tesseraOk('keys', 'generate', '-f', join(dir, 'k.json'), '-k', 'only', '-s', 'current');
    const realmFile = join(dir, 'realm.yaml');
    writeFileSync(realmFile, realmYaml('k.json'));
    expect((await tesseraOk('realm', 'check', realmFile)).stdout).not.toContain('warning');
  });
});

describe('tessera apikey', { timeout: 60_000 }, () => {
  const sha256 = (text: string) => createHash('sha256').update(text, 'utf8').digest('hex');

  it('generates a key and its keyHash, and hash gives the same keyHash for the key', async () => {
    const generated = await tesseraOk('apikey', 'generate');
    const key = /^key:\s+(\S+)$/m.exec(generated.stdout)?.[1];
    const keyHash = /^keyHash:\s+(\S+)$/m.exec(generated.stdout)?.[1];
    // 256 random bits behind a prefix that keeps the key from ever reading as an option.
    expect(key).toMatch(/^tsk_[A-Za-z0-9_-]{43}$/);
    expect(keyHash).toMatch(/^[0-9a-f]{64}$/);
    expect(keyHash).toBe(sha256(key ?? ''));

    // `--` ends the options, whatever the key's first character.
    const hashed = await tesseraOk('apikey', 'hash', '--', key ?? '');
    expect(hashed.stdout.trim()).toBe(keyHash);
  });

  it('hashes a key given as the bare argument', async () => {
    const key = 'AbCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCd';
    const hashed = await tesseraOk('apikey', 'hash', key);
    expect(hashed.stdout.trim()).toBe(sha256(key));
  });

  it('hashes a bare key that begins with a dash, as one in 64 generated keys do', async () => {
    const key = '-bCdEfGhIjKlMnOpQrStUvWxYz0123456789_-AbCd';
    const hashed = await tessera('apikey', 'hash', key);
    expect(hashed.code).toBe(0);
    expect(hashed.stdout.trim()).toBe(sha256(key));
  });
});

describe('tessera vend and validate, against a running issuer', { timeout: 60_000 }, () => {
  let realm: StandardRealm;
  let issuer: NodeProcess;
  let address: string;
  let metricsPort: number;

  beforeAll(async () => {
    realm = await writeStandardRealm();
    dirs.push(realm.dir);
    const port = await freePort();
    metricsPort = await freePort();
    address = `127.0.0.1:${port}`;
    issuer = processes.start(bundles.issuerMain, [], {
      env: {
        TESSERA_CONFIG: realm.realmFile,
        ISSUER_ADDRESS: address,
        ISSUER_METRICS_ADDRESS: `127.0.0.1:${metricsPort}`,
      },
    });
    await issuer.waitForLine(
      (line) => line.includes('"msg":"issuer listening"'),
      'issuer listening',
    );
  });

  const vend = (apiKey: string, claims: string) =>
    tessera(
      'vend',
      '--address',
      address,
      '--api-key',
      apiKey,
      '--tenant',
      realm.tenantA,
      '--claims',
      claims,
    );
  const validate = (token: string) =>
    tessera(
      'validate',
      '--address',
      address,
      '--api-key',
      realm.keys.admin,
      '--tenant',
      realm.tenantA,
      token,
    );

  async function vendOk(claims: string): Promise<string> {
    const result = await vend(realm.keys.admin, claims);
    if (result.code !== 0) throw new Error(`vend exited ${result.code}\n${result.stderr}`);
    return result.stdout.trim();
  }

  it('vends a JWT that validate accepts, printing its claims', async () => {
    const token = await vendOk('{"sub":"x"}');
    expect(token).toMatch(/^[\w-]+\.[\w-]+\.[\w-]+$/);

    const result = await validate(token);
    expect(result.code).toBe(0);
    const answer = JSON.parse(result.stdout) as {
      valid: boolean;
      keyId: string;
      tenantId: string;
      claims: Record<string, unknown>;
    };
    expect(answer).toMatchObject({ valid: true, keyId: 'a-es256', tenantId: realm.tenantA });
    expect(answer.claims).toMatchObject({ sub: 'x', iss: realm.issuerA });
  });

  it('exits 1 with "valid": false and the reason for a tampered token', async () => {
    const [header, payload, signature] = (await vendOk('{"sub":"x"}')).split('.');
    const claims = JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')) as object;
    const forged = Buffer.from(JSON.stringify({ ...claims, sub: 'admin' })).toString('base64url');

    const result = await validate(`${header}.${forged}.${signature}`);
    expect(result.code).toBe(1);
    expect(JSON.parse(result.stdout)).toEqual({ valid: false, reason: 'BAD_SIGNATURE' });
  });

  it('fails with UNAUTHENTICATED for an API key the realm does not hold', async () => {
    const result = await vend('not-a-key-of-this-realm-0123456789', '{"sub":"x"}');
    // Refused, not unavailable: exit 1, the status by name.
    expect(result.code).toBe(1);
    expect(result.stdout).toBe('');
    expect(result.stderr).toMatch(/^tessera: UNAUTHENTICATED: /m);
  });

  it('counts issued tokens on /metrics', async () => {
    await vendOk('{"sub":"counted"}');
    const response = await fetch(`http://127.0.0.1:${metricsPort}/metrics`);
    expect(response.status).toBe(200);
    const body = await response.text();
    expect(body).toMatch(/^tessera_tokens_issued_total\{rpc="Vend"\} [1-9]/m);
  });

  it('shuts down gracefully on SIGTERM and exits 0', async () => {
    issuer.signal('SIGTERM');
    expect(await issuer.waitForExit()).toEqual({ code: 0, signal: null });
    await issuer.waitForClose();
    expect(issuer.lines.some((line) => line.includes('"msg":"grpc server stopped"'))).toBe(true);
  });
});
