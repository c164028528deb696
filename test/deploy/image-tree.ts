import { execFile } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';

const run = promisify(execFile);

/** The repository root. */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

const ATTEMPTS = 3;

/** The container image's /app, laid out by deploy/image-tree.mjs in a temporary folder. */
export interface ImageTree {
  readonly dir: string;
  /** Subcommand → bundle path relative to `dir`, as the entry point reads them. */
  readonly components: Readonly<Record<string, string>>;
  remove(): void;
}

/**
 * Builds the bundles and lays out the image tree from them. Another suite's `npm run build`
 * empties dist/ folders while it runs, so a tree holding a half-written bundle (esbuild ends
 * each with its source-map comment) is laid out again.
 */
export async function buildImageTree(): Promise<ImageTree> {
  for (let attempt = 1; ; attempt++) {
    const dir = join(mkdtempSync(join(tmpdir(), 'tessera-image-')), 'app');
    try {
      await run('npm', ['run', 'build'], { cwd: REPO_ROOT, timeout: 60_000 });
      await run(process.execPath, ['deploy/image-tree.mjs', dir], {
        cwd: REPO_ROOT,
        timeout: 120_000,
      });
      const components = JSON.parse(readFileSync(join(dir, 'components.json'), 'utf8')) as Record<
        string,
        string
      >;
      for (const bundle of Object.values(components)) {
        const name = bundle.split('/').at(-1) ?? '';
        const text = readFileSync(join(dir, bundle), 'utf8');
        if (!text.trimEnd().endsWith(`//# sourceMappingURL=${name}.map`)) {
          throw new Error(`${bundle} is incomplete`);
        }
      }
      return {
        dir,
        components,
        remove: () => rmSync(join(dir, '..'), { recursive: true, force: true }),
      };
    } catch (error) {
      rmSync(join(dir, '..'), { recursive: true, force: true });
      if (attempt >= ATTEMPTS) throw error;
    }
  }
}

/** Every file of a tree with its size and modification time, to show nothing wrote there. */
export function fileSnapshot(dir: string): Map<string, string> {
  const files = new Map<string, string>();
  const walk = (folder: string) => {
    for (const entry of readdirSync(folder, { withFileTypes: true })) {
      const path = join(folder, entry.name);
      if (entry.isDirectory()) walk(path);
      else {
        const stats = statSync(path, { throwIfNoEntry: false });
        files.set(path, stats === undefined ? 'dangling' : `${stats.size}:${stats.mtimeMs}`);
      }
    }
  };
  walk(dir);
  return files;
}
