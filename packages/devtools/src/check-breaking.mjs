#!/usr/bin/env node
// `buf breaking` of proto/ against the main branch, run by `npm run lint`, so a change that
// breaks the contract for existing callers (a field renumbered, an RPC removed, a package or
// language option changed: buf's FILE rules, proto/buf.yaml) never lands silently.
//
// The baseline is the commit where this branch left main (`git merge-base HEAD main`): on a
// branch that is what it will be merged into, on main itself it is HEAD and nothing can
// differ. `main` is the local branch, else `origin/main`; BUF_BREAKING_AGAINST names another
// ref. A clone without main (a single-branch or shallow CI checkout) cannot be compared: the
// check says so and how to fetch main, and passes. A shallow clone whose history does not
// reach the merge-base is compared against main's tip instead, and says so.
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

// Usage: node packages/devtools/src/check-breaking.mjs [repository]   (default: this one)
const tools = fileURLToPath(new URL('../../..', import.meta.url));
const root = resolve(process.argv[2] ?? tools);
const buf = join(tools, 'node_modules/.bin/buf');

/** Runs git in the repository; undefined when it fails (an unknown ref, no repository). */
function git(...args) {
  try {
    return execFileSync('git', args, {
      cwd: root,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'ignore'],
    }).trim();
  } catch {
    return undefined;
  }
}

function baselineRef() {
  const asked = process.env.BUF_BREAKING_AGAINST;
  if (asked) {
    if (git('rev-parse', '--verify', '--quiet', `${asked}^{commit}`) === undefined) {
      console.error(`buf breaking: BUF_BREAKING_AGAINST=${asked} is not a commit in this clone`);
      process.exit(1);
    }
    return asked;
  }
  return ['main', 'origin/main'].find(
    (ref) => git('rev-parse', '--verify', '--quiet', `${ref}^{commit}`) !== undefined,
  );
}

function protoFiles(dir) {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? protoFiles(path) : path.endsWith('.proto') ? [path] : [];
  });
}

if (git('rev-parse', '--git-dir') === undefined) {
  console.log('buf breaking: not a git checkout; nothing to compare against (skipped)');
  process.exit(0);
}
const ref = baselineRef();
if (ref === undefined) {
  const shallow = git('rev-parse', '--is-shallow-repository') === 'true';
  console.log(
    `buf breaking: this ${shallow ? 'shallow ' : ''}clone has no main branch to compare proto/ ` +
      'against (skipped). Fetch it to run the check: git fetch origin main:main',
  );
  process.exit(0);
}
let baseline = git('merge-base', 'HEAD', ref);
if (baseline === undefined) {
  baseline = git('rev-parse', `${ref}^{commit}`);
  console.log(
    `buf breaking: no common history with ${ref} in this clone (shallow?); comparing against its tip`,
  );
}

const scratch = mkdtempSync(join(tmpdir(), 'tessera-buf-breaking-'));
try {
  // The baseline's proto/ as files: works in worktrees and shallow clones alike, where buf's
  // own git input would need a full .git directory.
  const archive = execFileSync('git', ['archive', '--format=tar', baseline, '--', 'proto'], {
    cwd: root,
    maxBuffer: 256 * 1024 * 1024,
  });
  execFileSync('tar', ['-x', '-C', scratch], { input: archive });
  const against = join(scratch, 'proto');
  if (!existsSync(against)) {
    console.log(`buf breaking: ${baseline.slice(0, 12)} has no proto/ (skipped)`);
    process.exit(0);
  }
  const args = ['breaking', '.', '--against', against];
  // The language options (go_package, java_package, csharp_namespace, java_multiple_files)
  // were introduced all at once; against a baseline older than them, their introduction is
  // not reported as a change. Every later change of them is.
  const baselineHasOptions = protoFiles(join(against, 'tessera')).some((file) =>
    readFileSync(file, 'utf8').includes('option go_package'),
  );
  if (!baselineHasOptions) {
    console.log(
      'buf breaking: the baseline predates the language options; their introduction is not compared',
    );
    args.push(
      '--config',
      JSON.stringify({
        version: 'v2',
        modules: [{ path: '.', name: 'buf.build/tessera/api' }],
        breaking: {
          use: ['FILE'],
          except: [
            'FILE_SAME_GO_PACKAGE',
            'FILE_SAME_JAVA_PACKAGE',
            'FILE_SAME_CSHARP_NAMESPACE',
            'FILE_SAME_JAVA_MULTIPLE_FILES',
            'FILE_SAME_JAVA_OUTER_CLASSNAME',
            'FILE_SAME_OBJC_CLASS_PREFIX',
            'FILE_SAME_CC_ENABLE_ARENAS',
          ],
        },
      }),
    );
  }
  try {
    execFileSync(buf, args, { cwd: join(root, 'proto'), stdio: 'inherit' });
  } catch {
    console.error(
      `buf breaking: proto/ breaks the contract as of ${ref} (${baseline.slice(0, 12)}); ` +
        'keep the old fields and RPCs, add new ones (reserve what you remove) or add a new version package',
    );
    process.exit(1);
  }
  console.log(`buf breaking: proto/ is compatible with ${ref} (${baseline.slice(0, 12)})`);
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
