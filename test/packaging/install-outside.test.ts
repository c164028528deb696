/**
 * The packages other repositories install, tried as they would be: `npm pack` each one, install
 * the tarballs into a scratch project in a temporary folder outside the repository (no
 * workspace, no `tessera-source` condition, no path into the repository), type-check a small
 * program against them with tsc, and run it against a live stack.
 */
import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readFileSync,
  rmSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type Stack, startStack } from '../support/stack.js';

const run = promisify(execFile);
const root = fileURLToPath(new URL('../..', import.meta.url));

/** What another repository installs; the first six come with the last two. */
const PACKED = [
  'clock',
  'errors',
  'backoff',
  'contracts',
  'jwt-core',
  'revocation-set',
  'local-validation',
  'client',
];

/** The exact versions this repository's lockfile holds, so npm answers from its cache. */
function lockedVersion(name: string): string {
  const lock = JSON.parse(readFileSync(join(root, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, { version?: string }>;
  };
  const version = lock.packages[`node_modules/${name}`]?.version;
  if (version === undefined) throw new Error(`${name} is not in package-lock.json`);
  return version;
}

let scratch: string;
let stack: Stack;

beforeAll(async () => {
  await run(process.execPath, ['packages/devtools/src/build.mjs', '--packages'], { cwd: root });
  scratch = mkdtempSync(join(tmpdir(), 'tessera-outside-'));
  expect(relative(root, scratch).startsWith('..')).toBe(true);
  const tarballs = join(scratch, 'tarballs');
  mkdirSync(tarballs);
  const { stdout } = await run(
    'npm',
    [
      'pack',
      '--json',
      '--pack-destination',
      tarballs,
      ...PACKED.flatMap((p) => ['-w', `packages/${p}`]),
    ],
    { cwd: root, maxBuffer: 64 * 1024 * 1024 },
  );
  const packed = JSON.parse(stdout) as {
    name: string;
    filename: string;
    files: { path: string }[];
  }[];
  const file = (name: string) => {
    const entry = packed.find((p) => p.name === name);
    if (entry === undefined) throw new Error(`${name} was not packed`);
    return `file:./tarballs/${entry.filename}`;
  };
  const tessera = Object.fromEntries(packed.map((p) => [p.name, file(p.name)]));
  writeFileSync(
    join(scratch, 'package.json'),
    JSON.stringify({
      name: 'outside-consumer',
      private: true,
      type: 'module',
      dependencies: {
        '@tessera/client': tessera['@tessera/client'],
        '@tessera/clock': tessera['@tessera/clock'],
        '@tessera/contracts': tessera['@tessera/contracts'],
        '@tessera/local-validation': tessera['@tessera/local-validation'],
        '@grpc/grpc-js': lockedVersion('@grpc/grpc-js'),
        '@bufbuild/protobuf': lockedVersion('@bufbuild/protobuf'),
        pino: lockedVersion('pino'),
      },
      devDependencies: {
        typescript: lockedVersion('typescript'),
        '@types/node': lockedVersion('@types/node'),
      },
      // The packages' own @tessera dependencies come from the same tarballs, not a registry.
      overrides: tessera,
    }),
  );
  writeFileSync(
    join(scratch, 'tsconfig.json'),
    JSON.stringify({
      compilerOptions: {
        target: 'ES2022',
        module: 'NodeNext',
        moduleResolution: 'NodeNext',
        strict: true,
        noUncheckedIndexedAccess: true,
        types: ['node'],
        outDir: 'out',
        skipLibCheck: false,
      },
      include: ['main.ts'],
    }),
  );
  cpSync(join(root, 'test/packaging/outside/main.ts'), join(scratch, 'main.ts'));
  await run('npm', ['install', '--prefer-offline', '--no-audit', '--no-fund', '--loglevel=error'], {
    cwd: scratch,
    maxBuffer: 64 * 1024 * 1024,
  });
  stack = await startStack();
}, 600_000);

afterAll(async () => {
  await stack?.close();
  if (scratch) rmSync(scratch, { recursive: true, force: true });
});

describe('the published packages, installed outside the repository', () => {
  it('ship built JavaScript, declarations and the protos, and no sources', () => {
    const manifest = (name: string) =>
      JSON.parse(
        readFileSync(join(scratch, 'node_modules/@tessera', name, 'package.json'), 'utf8'),
      );
    const rootEngines = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8')).engines;
    for (const name of PACKED) {
      const pkg = manifest(name);
      expect(pkg.private).toBeUndefined();
      // The Node versions a package supports are the repository's: one statement, kept in step.
      expect(pkg.engines, name).toEqual(rootEngines);
      expect(pkg.exports['.'].types).toBe('./dist/index.d.ts');
      const dir = join(scratch, 'node_modules/@tessera', name);
      expect(existsSync(join(dir, 'dist/index.js')), name).toBe(true);
      expect(existsSync(join(dir, 'dist/index.d.ts')), name).toBe(true);
      expect(existsSync(join(dir, 'src')), name).toBe(false);
    }
    expect(manifest('contracts').peerDependencies).toMatchObject({
      '@grpc/grpc-js': expect.any(String),
      '@bufbuild/protobuf': expect.any(String),
    });
  });

  it('type-check a program with tsc (strict, declarations checked) and run it against a live stack', async () => {
    await run(join(scratch, 'node_modules/.bin/tsc'), ['-p', 'tsconfig.json'], {
      cwd: scratch,
    }).catch((error: { stdout?: string }) => {
      throw new Error(`tsc refused the program:\n${error.stdout ?? ''}`);
    });
    const { stdout } = await run(process.execPath, [join(scratch, 'out/main.js')], {
      cwd: scratch,
      env: {
        PATH: process.env.PATH ?? '',
        ISSUER_ADDRESS: stack.issuerAddress,
        SESSION_ADDRESS: stack.sessionAddress,
        TESSERA_API_KEY: stack.realm.keys.admin,
        TENANT_ID: stack.realm.tenantA,
      },
      timeout: 60_000,
    });
    const seen = JSON.parse(stdout.trim().split('\n').at(-1) ?? '{}');
    expect(seen).toMatchObject({
      remoteValid: true,
      remoteSub: 'outside-user',
      denied: 'UNAUTHENTICATED',
      streamValid: true,
      streamSub: 'outside-stream-user',
      streamDenied: 'UNAUTHENTICATED',
      streamKeysSeen: true,
      localValid: true,
      localTenant: stack.realm.tenantA,
      forgedReason: 'BAD_SIGNATURE',
      protosShipped: true,
    });
    // The protos come from the installed package, not from this repository.
    expect(relative(scratch, seen.protoRoot).startsWith('..')).toBe(false);
  }, 240_000);
});
