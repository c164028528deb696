#!/usr/bin/env node
// Regenerates packages/contracts/src/gen from proto/ with buf + ts-proto. Output goes to a
// scratch folder first; `--check` then compares it with the committed code and fails on any
// difference (generated code is never edited by hand), otherwise it replaces the committed
// folder wholesale so a removed .proto leaves nothing stale behind.
import { execFileSync } from 'node:child_process';
import { cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../../..', import.meta.url));
const committed = join(root, 'packages/contracts/src/gen');
const check = process.argv.includes('--check');

function listFiles(dir) {
  let entries;
  try {
    entries = readdirSync(dir);
  } catch {
    return [];
  }
  return entries.flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? listFiles(path) : [path];
  });
}

const scratch = mkdtempSync(join(tmpdir(), 'tessera-gen-'));
try {
  execFileSync(
    join(root, 'node_modules/.bin/buf'),
    ['generate', 'proto', '--template', 'proto/buf.gen.yaml', '-o', scratch],
    { cwd: root, stdio: 'inherit' },
  );
  const fresh = join(scratch, 'packages/contracts/src/gen');
  const freshFiles = listFiles(fresh)
    .map((f) => relative(fresh, f))
    .sort();
  if (check) {
    const committedFiles = listFiles(committed)
      .map((f) => relative(committed, f))
      .sort();
    const drift = [
      ...freshFiles.filter((f) => !committedFiles.includes(f)).map((f) => `missing: ${f}`),
      ...committedFiles.filter((f) => !freshFiles.includes(f)).map((f) => `stale: ${f}`),
      ...freshFiles
        .filter((f) => committedFiles.includes(f))
        .filter(
          (f) => readFileSync(join(fresh, f), 'utf8') !== readFileSync(join(committed, f), 'utf8'),
        )
        .map((f) => `changed: ${f}`),
    ];
    if (drift.length > 0) {
      console.error('generated code is not current; run `npm run generate` and commit:');
      for (const line of drift) console.error(`  ${line}`);
      process.exitCode = 1;
    } else {
      console.log(`generated code is current (${freshFiles.length} files)`);
    }
  } else {
    rmSync(committed, { recursive: true, force: true });
    cpSync(fresh, committed, { recursive: true });
    console.log(`generated ${freshFiles.length} files into ${relative(root, committed)}`);
  }
} finally {
  rmSync(scratch, { recursive: true, force: true });
}
