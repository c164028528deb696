#!/usr/bin/env node
// Lays out the container image's /app: the one list of what the image holds. The Dockerfile
// runs this script in its build stage and copies its output whole, and the tests run it too
// and start every component from the result, so what is tested is what is shipped.
//
//   node deploy/image-tree.mjs <empty output folder>      (after `npm run build`)
//
// The tree: the bundles of every entry point the build knows (packages/devtools/src/build.mjs,
// with the runtime assets the build copies beside them, such as the session service's Lua
// scripts), proto/, the entry point and its components.json, package.json and the lock, and
// production dependencies installed by `npm ci --omit=dev`, and healthcheck.mjs for engines that
// check health by running a command.
import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { ENTRY_POINTS } from '../packages/devtools/src/build.mjs';

const root = fileURLToPath(new URL('..', import.meta.url));

/** Copied from the repository as they are, relative to its root. */
const STATIC_PATHS = ['package.json', 'package-lock.json', 'proto'];

function fail(message) {
  process.stderr.write(`image-tree: ${message}\n`);
  process.exit(1);
}

const out = process.argv[2];
if (out === undefined) fail('usage: node deploy/image-tree.mjs <empty output folder>');
if (existsSync(out) && readdirSync(out).length > 0) fail(`${out} is not empty`);
mkdirSync(out, { recursive: true });

for (const path of STATIC_PATHS) cpSync(join(root, path), join(out, path), { recursive: true });

// One subcommand per bundle, named by its workspace folder: services/issuer → `issuer`,
// packages/cli → `cli`.
const components = {};
for (const [, outDir, outFile] of ENTRY_POINTS) {
  const bundle = join(root, outDir, outFile);
  if (!existsSync(bundle)) fail(`${relative(root, bundle)} is missing: run npm run build first`);
  const name = outDir.split('/')[1];
  if (name === undefined || Object.hasOwn(components, name)) fail(`bad entry point ${outDir}`);
  cpSync(join(root, outDir), join(out, outDir), { recursive: true });
  components[name] = `${outDir}/${outFile}`;
}
cpSync(join(root, 'deploy/entrypoint.mjs'), join(out, 'entrypoint.mjs'));
cpSync(join(root, 'deploy/healthcheck.mjs'), join(out, 'healthcheck.mjs'));
writeFileSync(join(out, 'components.json'), `${JSON.stringify(components, null, 2)}\n`);

// npm ci checks the lock against every workspace's manifest, so they are there while it runs;
// the bundles compile the workspace packages in, so their links and manifests go afterwards.
const workspaceManifests = ['packages', 'services'].flatMap((folder) =>
  readdirSync(join(root, folder))
    .map((name) => `${folder}/${name}/package.json`)
    .filter((path) => existsSync(join(root, path))),
);
for (const path of workspaceManifests) {
  mkdirSync(dirname(join(out, path)), { recursive: true });
  cpSync(join(root, path), join(out, path));
}
execFileSync(
  'npm',
  ['ci', '--omit=dev', '--ignore-scripts', '--no-audit', '--no-fund', '--loglevel=error'],
  { cwd: out, stdio: ['ignore', 'inherit', 'inherit'] },
);
rmSync(join(out, 'node_modules/@tessera'), { recursive: true, force: true });
for (const path of workspaceManifests) {
  rmSync(join(out, path));
  const folder = dirname(join(out, path));
  if (readdirSync(folder).length === 0) rmSync(folder, { recursive: true });
}
for (const folder of ['packages', 'services']) {
  const path = join(out, folder);
  if (existsSync(path) && readdirSync(path).length === 0) rmSync(path, { recursive: true });
}
process.stdout.write(`image tree in ${out}: ${Object.keys(components).join(', ')}\n`);
