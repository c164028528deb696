import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import semver from 'semver';
import { describe, expect, it } from 'vitest';
import { REPO_ROOT } from '../deploy/image-tree.js';

// `engines.node` of the root package.json must match reality: every Node version it admits
// satisfies the `engines.node` of every package package-lock.json installs, so nobody is told
// a Node works that a dependency refuses.

interface LockEntry {
  readonly version?: string;
  readonly dev?: boolean;
  readonly optional?: boolean;
  readonly engines?: { readonly node?: string } | readonly string[];
}

const read = <T>(file: string): T => JSON.parse(readFileSync(join(REPO_ROOT, file), 'utf8')) as T;
const root = read<{ engines: { node: string } }>('package.json');
const lock = read<{ packages: Record<string, LockEntry> }>('package-lock.json');

/**
 * Packages whose declared range leaves Node 20 out although the code runs on it: the whole
 * suite runs on Node 20 with them (the gateway's cookies, the manifest checks). Each is named
 * with why; a new one fails the test until it is judged and listed here.
 */
const DECLARED_ONLY: Readonly<Record<string, string>> = {
  // fastify's light-my-request and @fastify/cookie use parse/serialize, plain JavaScript.
  cookie: 'declares >=22; cookie 2 uses no API newer than Node 18',
  // Only the manifest policy tests use it (devDependency); they run on Node 20.
  'kubernetes-models': 'declares >=22; schema validation in test/deploy only',
  '@kubernetes-models/apimachinery': 'declares >=22; kubernetes-models, tests only',
  '@kubernetes-models/base': 'declares >=22; kubernetes-models, tests only',
  '@kubernetes-models/validate': 'declares >=22; kubernetes-models, tests only',
};

function nodeRange(entry: LockEntry): string | undefined {
  const engines = entry.engines;
  if (engines === undefined || Array.isArray(engines)) return undefined;
  return (engines as { node?: string }).node;
}

function nameOf(path: string): string {
  return path.slice(path.lastIndexOf('node_modules/') + 'node_modules/'.length);
}

describe('engines.node', () => {
  it('is a valid range that admits Node 20', () => {
    expect(semver.validRange(root.engines.node)).not.toBeNull();
    expect(semver.intersects(root.engines.node, '20.x')).toBe(true);
  });

  it("admits no Node version that an installed package's engines refuse", () => {
    const refused: string[] = [];
    for (const [path, entry] of Object.entries(lock.packages)) {
      // Platform-specific optional builds (a wasm fallback, another OS' binary) are not
      // installed here; their ranges speak for their platforms.
      if (path === '' || entry.optional) continue;
      const range = nodeRange(entry);
      if (range === undefined || range.trim() === '*') continue;
      const name = nameOf(path);
      if (DECLARED_ONLY[name] !== undefined) continue;
      if (!semver.subset(root.engines.node, range, { includePrerelease: false }))
        refused.push(`${name}@${entry.version ?? '?'} needs node ${range}`);
    }
    expect(refused, `engines.node "${root.engines.node}" is wider than`).toEqual([]);
  });

  it('lists only exceptions that are still installed and still needed', () => {
    const installed = new Map<string, string>();
    for (const [path, entry] of Object.entries(lock.packages)) {
      const range = nodeRange(entry);
      if (path !== '' && range !== undefined) installed.set(nameOf(path), range);
    }
    for (const name of Object.keys(DECLARED_ONLY)) {
      const range = installed.get(name);
      expect(range, `${name} is installed`).toBeDefined();
      expect(semver.subset(root.engines.node, range ?? '*'), `${name} still refuses`).toBe(false);
    }
  });

  it('the Node running the suite is one engines admits', () => {
    expect(semver.satisfies(process.versions.node, root.engines.node)).toBe(true);
  });
});
