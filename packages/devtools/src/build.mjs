#!/usr/bin/env node
// Two outputs, one command (`npm run build`):
// - each runnable entry point (services and the CLI) bundled with esbuild into its own dist/.
//   Workspace packages (@tessera/*) are compiled in from their TypeScript sources (the
//   `tessera-source` export condition); npm dependencies stay external and load from
//   node_modules at run time;
// - the packages published for other repositories (packages/tsconfig.build.json) compiled by
//   `tsc -b` into JavaScript and declarations in their dist/, plus a copy of proto/ inside
//   @tessera/contracts. Typechecking of everything else is a separate step (`npm run lint`).
import { execFileSync } from 'node:child_process';
import {
  cpSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  writeFileSync,
} from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build, transform } from 'esbuild';

const root = fileURLToPath(new URL('../../..', import.meta.url));

/** Entry points: [source, output folder, output file name]. */
export const ENTRY_POINTS = [
  ['services/issuer/src/main.ts', 'services/issuer/dist', 'main.js'],
  ['services/session/src/main.ts', 'services/session/dist', 'main.js'],
  ['services/gateway/src/main.ts', 'services/gateway/dist', 'main.js'],
  ['services/sidecar/src/main.ts', 'services/sidecar/dist', 'main.js'],
  ['packages/cli/src/tessera.ts', 'packages/cli/dist', 'tessera.js'],
];

const externalNpmPackages = {
  name: 'external-npm-packages',
  setup(pluginBuild) {
    // Bare specifiers that are not workspace packages come from node_modules at run time.
    pluginBuild.onResolve({ filter: /^[^./]/ }, (args) =>
      args.path.startsWith('@tessera/') ? undefined : { path: args.path, external: true },
    );
  },
};

/**
 * Files read at run time relative to the module (`new URL('./lua/<script>.lua', import.meta.url)`),
 * copied to the same place relative to the bundle: [source folder, destination folder].
 */
export const RUNTIME_ASSETS = [
  ['services/session/src/store/redis/lua', 'services/session/dist/lua'],
];

/** Every file under `dir`, relative to it. */
function filesUnder(dir, base = dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? filesUnder(path, base) : [relative(base, path)];
  });
}

/**
 * The published packages: `tsc -b` (incremental: it writes nothing when nothing changed),
 * then the .proto sources into @tessera/contracts. The copy overwrites in place and then drops
 * what proto/ no longer has, so a concurrent `npm pack` never sees the folder missing.
 */
function buildPackages() {
  execFileSync(join(root, 'node_modules/.bin/tsc'), ['-b', 'packages/tsconfig.build.json'], {
    cwd: root,
    stdio: 'inherit',
  });
  const source = join(root, 'proto');
  const copy = join(root, 'packages/contracts/proto');
  cpSync(source, copy, { recursive: true, filter: (path) => !path.endsWith('.yaml') });
  const kept = new Set(filesUnder(source).filter((file) => !file.endsWith('.yaml')));
  for (const file of filesUnder(copy)) if (!kept.has(file)) rmSync(join(copy, file));
}

/**
 * V8 keeps a module's source in the heap for as long as the process runs, one byte per character
 * only when every character is Latin-1: a single `→` in a comment doubles the bundle's footprint
 * (the sidecar's ~0.6 MB source took ~1.2 MB). esbuild's `charset: 'ascii'` escapes strings,
 * identifiers and most regular expressions; the comments esbuild keeps are left as written, and
 * each character outside ASCII there becomes `?` (one per UTF-16 unit, so the source map's
 * columns still hold). Whatever else is left outside ASCII (a character in a regular expression
 * or a raw template, which cannot be escaped without changing it) stops the build, so that the
 * replacement can only ever touch comments: the code with and without it must minify (which
 * drops comments) to the same text.
 */
async function asciiOnly(file) {
  const text = readFileSync(file, 'utf8');
  const ascii = text.replace(/[\u0080-\u{10ffff}]/gu, (character) => '?'.repeat(character.length));
  if (ascii === text) return;
  const [before, after] = await Promise.all(
    [text, ascii].map(
      async (code) => (await transform(code, { minify: true, format: 'esm' })).code,
    ),
  );
  if (before !== after) {
    throw new Error(
      `${relative(root, file)} has characters outside ASCII in code (a regular expression or a raw ` +
        'template?): write them as escapes (\\u2192) in the source',
    );
  }
  writeFileSync(file, ascii);
}

/**
 * Builds every entry point, with its runtime assets beside the bundle, in a staging folder that
 * then replaces its dist/ by rename: a reader (a test copying the bundles, a stack starting)
 * sees the old dist/, the new one whole, or none, never a bundle without its Lua scripts.
 */
async function buildAll() {
  const started = Date.now();
  for (const [entry, outDir, outFile] of ENTRY_POINTS) {
    const staging = `${outDir}.building-${process.pid}`;
    rmSync(join(root, staging), { recursive: true, force: true });
    await build({
      absWorkingDir: root,
      entryPoints: [entry],
      outfile: join(staging, outFile),
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node20',
      sourcemap: 'linked',
      charset: 'ascii',
      logLevel: 'warning',
      conditions: ['tessera-source'],
      plugins: [externalNpmPackages],
    });
    await asciiOnly(join(root, staging, outFile));
    for (const [from, to] of RUNTIME_ASSETS) {
      if (to.startsWith(`${outDir}/`)) {
        cpSync(join(root, from), join(root, staging, relative(outDir, to)), { recursive: true });
      }
    }
    rmSync(join(root, outDir), { recursive: true, force: true });
    renameSync(join(root, staging), join(root, outDir));
  }
  buildPackages();
  console.log(
    `built ${ENTRY_POINTS.length} entry points and the published packages in ${Date.now() - started} ms`,
  );
}

// Run as a script it builds; imported (deploy/image-tree.mjs reads ENTRY_POINTS) it does not.
// `--packages` builds only the published packages (the pack-and-install test uses it).
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  if (process.argv.includes('--packages')) buildPackages();
  else await buildAll();
}
