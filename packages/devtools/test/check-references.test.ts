import { execFile } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';

const run = promisify(execFile);
const script = fileURLToPath(new URL('../src/check-references.mjs', import.meta.url));
const repoRoot = fileURLToPath(new URL('../../..', import.meta.url));

let scratch: string | undefined;
afterEach(() => {
  if (scratch) rmSync(scratch, { recursive: true, force: true });
  scratch = undefined;
});

/** A repository made of `files`, checked; resolves with the exit code and what was printed. */
async function check(files: Record<string, string>) {
  scratch = mkdtempSync(join(tmpdir(), 'tessera-references-'));
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(scratch, path)), { recursive: true });
    writeFileSync(join(scratch, path), text);
  }
  return run(process.execPath, [script, scratch]).then(
    ({ stdout }) => ({ code: 0, output: stdout }),
    (error: { code: number; stderr: string }) => ({ code: error.code, output: error.stderr }),
  );
}

const README = '# thing\n\n## Token rules\n\ntext\n\n## Security model\n\n**Sessions**\n';

// Citations of documents outside the repository, assembled so that this file itself cites none.
const OUTSIDE_DESIGN = ['DESIGN', '§5'].join(' ');
const OUTSIDE_FOLDER = ['..', 'shared', ''].join('/');

describe('check-references', () => {
  it('passes on this repository: every cited file and section exists', async () => {
    const { stdout } = await run(process.execPath, [script, repoRoot]);
    expect(stdout).toContain('every cited file and section exists');
  });

  it('accepts citations of files and headings that exist, in every form', async () => {
    const result = await check({
      'README.md': README,
      'packages/a/package.json': '{}',
      'packages/a/README.md': '# a\n\n## Pipeline\n',
      'packages/a/src/index.ts': [
        '// The one profile (README, Token rules), its pipeline (packages/a/README.md, Pipeline).',
        "/** README §Security model: sessions; see the README's Token rules section and src/index.ts. */",
        "const url = 'https://example.com/api-docs/missing.txt'; // RFC 7518 §3.2",
        '// Made at run time: dist/main.js, .data/realm.yaml; placeholders: services/<name>/dist/x.js',
        "const notAComment = 'missing/file.ts';",
      ].join('\n'),
      '.gitignore': 'dist/\n.data/\n',
    });
    expect(result).toEqual({ code: 0, output: expect.stringContaining('exists') });
  });

  it('fails on every dangling reference, naming file and line', async () => {
    const result = await check({
      'README.md': README,
      'services/x/src/a.ts': [
        `// See ${OUTSIDE_DESIGN} for why.`,
        '/* Word for word from api-docs/fusionauth-jwt-api.txt */',
        '// packages/contracts/README.md says why (README, Nonexistent part).',
        '# not a comment in TypeScript',
      ].join('\n'),
      'proto/buf.yaml': `# see ${OUTSIDE_FOLDER}COMPAT.md and README §Errors\nversion: v2\n`,
      'docs.md': "The README's Performance section, and STYLE.md.\n",
    });
    expect(result.code).toBe(1);
    const lines = result.output.split('\n');
    for (const expected of [
      'services/x/src/a.ts:1: cites DESIGN',
      'services/x/src/a.ts:1: cites a numbered section (§5)',
      'services/x/src/a.ts:2: cites api-docs/fusionauth-jwt-api.txt, which does not exist',
      'services/x/src/a.ts:3: cites packages/contracts/README.md, which does not exist',
      'services/x/src/a.ts:3: cites section "Nonexistent part" of README.md',
      `proto/buf.yaml:1: cites ${OUTSIDE_FOLDER}`,
      'proto/buf.yaml:1: cites COMPAT.md',
      'proto/buf.yaml:1: cites section "Errors" of README.md',
      'docs.md:1: cites section "Performance" of README.md',
      'docs.md:1: cites STYLE.md',
    ]) {
      expect(
        lines.some((line) => line.startsWith(expected)),
        expected,
      ).toBe(true);
    }
    expect(result.output).not.toContain('a.ts:4');
  });
});
