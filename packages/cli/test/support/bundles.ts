import { execFile } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  rmSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root, where `npm run build` runs. */
export const REPO_ROOT = fileURLToPath(new URL('../../../../', import.meta.url));

/** Where `npm run build` writes bundles: a `dist/` in any package or service. */
const WORKSPACE_DIRS = ['packages', 'services'] as const;

const BUILD_ATTEMPTS = 3;

/** The built CLI and issuer, in a folder of their own. */
export interface Bundles {
  /** Root of the copy: the same layout as the repository, so the CLI finds the issuer. */
  readonly root: string;
  /** `packages/cli/dist/tessera.js` of the copy. */
  readonly cli: string;
  /** `services/issuer/dist/main.js` of the copy. */
  readonly issuerMain: string;
  remove(): void;
}

/**
 * Runs `npm run build` at the repository root and copies the bundles into a temporary tree
 * laid out like the repository (with `node_modules` and `proto` linked back). Each build
 * empties `dist/` before writing it, so a suite running beside this one could pull the
 * files out from under a CLI spawned at that moment; a private copy cannot move. A build or
 * copy that raced another build is repeated.
 */
export async function buildBundles(): Promise<Bundles> {
  const root = mkdtempSync(join(tmpdir(), 'tessera-bundles-'));
  try {
    for (let attempt = 1; ; attempt++) {
      try {
        await run('npm', ['run', 'build'], { cwd: REPO_ROOT, timeout: 50_000 });
        copyBundles(root);
        break;
      } catch (error) {
        if (attempt >= BUILD_ATTEMPTS) throw error;
      }
    }
    writeFileSync(join(root, 'package.json'), '{ "private": true, "type": "module" }\n');
    symlinkSync(join(REPO_ROOT, 'node_modules'), join(root, 'node_modules'), 'dir');
    symlinkSync(join(REPO_ROOT, 'proto'), join(root, 'proto'), 'dir');
  } catch (error) {
    rmSync(root, { recursive: true, force: true });
    throw error;
  }
  return {
    root,
    cli: join(root, 'packages/cli/dist/tessera.js'),
    issuerMain: join(root, 'services/issuer/dist/main.js'),
    remove: () => rmSync(root, { recursive: true, force: true }),
  };
}

/**
 * Every `dist/` folder of the workspaces that holds an esbuild bundle (a script with its linked
 * source map), relative to the repository root. The published packages' `dist/` (tsc output,
 * packages/README.md) holds no bundle and is not copied.
 */
function bundleDirs(): string[] {
  return WORKSPACE_DIRS.flatMap((workspaces) =>
    readdirSync(join(REPO_ROOT, workspaces), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${workspaces}/${entry.name}/dist`)
      .filter((dir) => existsSync(join(REPO_ROOT, dir)))
      .filter((dir) => readdirSync(join(REPO_ROOT, dir)).some((name) => name.endsWith('.js.map'))),
  );
}

function copyBundles(root: string): void {
  const dirs = bundleDirs();
  for (const required of ['packages/cli/dist', 'services/issuer/dist']) {
    if (!dirs.includes(required)) throw new Error(`npm run build wrote no ${required}`);
  }
  for (const dir of dirs) {
    const target = join(root, dir);
    rmSync(target, { recursive: true, force: true });
    cpSync(join(REPO_ROOT, dir), target, { recursive: true });
    const scripts = readdirSync(target).filter((name) => name.endsWith('.js'));
    if (scripts.length === 0) throw new Error(`no bundle in ${dir}`);
    for (const name of scripts) {
      // esbuild ends every bundle with its source-map comment: a file without it was caught
      // half written.
      const text = readFileSync(join(target, name), 'utf8');
      if (!text.trimEnd().endsWith(`//# sourceMappingURL=${name}.map`)) {
        throw new Error(`${dir}/${name} is incomplete`);
      }
    }
  }
}
