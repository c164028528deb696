#!/usr/bin/env node
// The repository explains itself: every comment and document cites only what it holds. Run by
// `npm run lint`; fails, naming file and line, on
// - a path that does not exist (`services/session/README.md`, `deploy/image-tree.mjs`),
//   resolved from the repository root, then from the citing file's folder;
// - a section of a README that is not one of its headings: `README, Token rules`,
//   `README §Token rules`, `the README's Performance section`, `deploy/README.md, Secrets`.
//   A bare `README` is the top-level one; a heading matches when it starts with the name
//   (case does not matter), so `README, Kubernetes` finds "## Kubernetes";
// - a document kept outside the repository (the design notes, the compatibility notes and the
//   style guide the project started from, anything under a sibling `shared` folder) or a
//   numbered section sign other than an RFC's (`RFC 7518 §3.2` is fine).
// In code it reads comments only (`//`, `/* */`, `#`); Markdown it reads whole. A path is
// looked up from the repository root, the citing file's folder, its package's folder and
// proto/. Paths with placeholders (`services/<name>/dist`, `packages/*/src`), URLs, package
// names and what .gitignore ignores (made at run time: `.data/`, `dist/`) are not citations.
// This file itself names what it forbids, so it is not read.
//
// Usage: node packages/devtools/src/check-references.mjs [root]   (default: this repository)
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const SKIPPED_DIRS = new Set([
  'node_modules',
  'dist',
  '.git',
  'gen',
  '.data',
  'coverage',
  '.vitest-cache',
]);
const SLASH_COMMENTS = /\.(ts|mts|cts|mjs|cjs|js|proto|json)$/;
const HASH_COMMENTS = /(\.(ya?ml|sh|conf|toml)|(^|\/)(Dockerfile|\.gitignore|\.dockerignore|run))$/;
const DOCUMENTS = /\.md$/;

const SELF = fileURLToPath(import.meta.url);

/** Every file the check reads, relative to `root`. */
function listFiles(root, dir = root) {
  return readdirSync(dir).flatMap((name) => {
    if (SKIPPED_DIRS.has(name)) return [];
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return listFiles(root, path);
    if (path === SELF) return [];
    const rel = relative(root, path);
    return SLASH_COMMENTS.test(rel) || HASH_COMMENTS.test(rel) || DOCUMENTS.test(rel) ? [rel] : [];
  });
}

/**
 * Whether the root .gitignore ignores a path: `name/` ignores that folder anywhere,
 * `a/b/` (a slash inside) only at the root.
 */
function ignoredBy(root) {
  const file = join(root, '.gitignore');
  const lines = existsSync(file)
    ? readFileSync(file, 'utf8')
        .split('\n')
        .map((line) => line.trim())
        .filter((line) => line !== '' && !line.startsWith('#') && !line.startsWith('!'))
    : [];
  return (path) => {
    const clean = path.replace(/^(\.\/)+/, '');
    const segments = clean.split('/');
    return lines.some((pattern) => {
      const folder = pattern.replace(/^\//, '').replace(/\/$/, '');
      if (folder.includes('*')) return false;
      if (folder.includes('/')) return clean === folder || clean.startsWith(`${folder}/`);
      return segments.slice(0, -1).includes(folder) || clean === folder;
    });
  };
}

/** The nearest folder above `file` (relative to root) with a package.json, or the root. */
function packageDir(root, file) {
  for (let dir = dirname(file); dir !== '.' && dir !== ''; dir = dirname(dir)) {
    if (existsSync(join(root, dir, 'package.json'))) return dir;
  }
  return '.';
}

/**
 * The commented text of a file with its line numbers kept: everything else becomes spaces,
 * so a match's offset still finds its line. Strings are skipped so `'http://…'` is no comment.
 */
function commentText(text, style) {
  if (style === 'all') return text;
  const out = [];
  let i = 0;
  const blank = (s) => s.replace(/[^\n]/g, ' ');
  while (i < text.length) {
    const c = text[i];
    if (style === 'slash' && (c === "'" || c === '"' || c === '`')) {
      let j = i + 1;
      while (j < text.length && text[j] !== c && !(c !== '`' && text[j] === '\n'))
        j += text[j] === '\\' ? 2 : 1;
      out.push(blank(text.slice(i, j + 1)));
      i = j + 1;
    } else if (style === 'slash' && text.startsWith('//', i)) {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      out.push(text.slice(i, stop));
      i = stop;
    } else if (style === 'slash' && text.startsWith('/*', i)) {
      const end = text.indexOf('*/', i + 2);
      const stop = end === -1 ? text.length : end + 2;
      out.push(text.slice(i, stop));
      i = stop;
    } else if (style === 'hash' && c === '#') {
      const end = text.indexOf('\n', i);
      const stop = end === -1 ? text.length : end;
      out.push(text.slice(i, stop));
      i = stop;
    } else {
      out.push(c === '\n' ? '\n' : ' ');
      i += 1;
    }
  }
  return out.join('');
}

/** The headings of a Markdown file, lowercased, with bold paragraph labels (`**Sessions**`). */
function headingsOf(path) {
  const text = readFileSync(path, 'utf8');
  const headings = [...text.matchAll(/^#{1,6}\s+(.+?)\s*#*$/gm)].map((m) => m[1]);
  const labels = [...text.matchAll(/^\*\*([^*]+)\*\*/gm)].map((m) => m[1]);
  return [...headings, ...labels].map((h) => h.replace(/[`*"]/g, '').toLowerCase());
}

const lineOf = (text, index) => text.slice(0, index).split('\n').length;

/** The problems of one file: `file:line: what`. */
function checkFile(root, file, headingCache, ignored) {
  const style = DOCUMENTS.test(file) ? 'all' : HASH_COMMENTS.test(file) ? 'hash' : 'slash';
  const raw = readFileSync(join(root, file), 'utf8');
  const text = commentText(raw, style);
  const problems = [];
  const report = (index, what) => problems.push(`${file}:${lineOf(text, index)}: ${what}`);
  const bases = [
    root,
    join(root, dirname(file)),
    join(root, packageDir(root, file)),
    join(root, 'proto'),
  ];
  const exists = (cited) => ignored(cited) || bases.some((base) => existsSync(join(base, cited)));

  for (const m of text.matchAll(
    /\bDESIGN(?:\.md)?\b|\bCOMPAT\.md\b|\bSTYLE\.md\b|\.\.\/shared\//g,
  )) {
    report(m.index, `cites ${m[0]}, which is not in the repository`);
  }
  for (const m of text.matchAll(/§\s*\d/g)) {
    const before = text.slice(Math.max(0, m.index - 24), m.index);
    if (!/\bRFC\s?\d+[,\s]*$/.test(before) && !/\bRFC\s?\d+,? section\s*$/.test(before))
      report(m.index, `cites a numbered section (${m[0]}) of no document in the repository`);
  }
  // A fenced code block in Markdown is an example (`"./src/index.ts"` of some package), not a
  // citation; its paths are not looked up. Sections and forbidden documents still are.
  const pathText =
    style === 'all'
      ? text.replace(/^```[^\n]*\n[\s\S]*?^```/gm, (block) => block.replace(/[^\n]/g, ' '))
      : text;
  // A literal, so test/security/redos.test.ts can vet it: the file extensions a citation may have.
  const pathPattern =
    /(?<![\w@:/.~<>*{$-])((?:\.{1,2}\/)*(?:[\w.-]+\/)+[\w.-]+\.(?:md|ts|mts|mjs|cjs|js|json|ya?ml|proto|lua|txt|sh|conf))(?![\w/<>*{$-])/g;
  for (const m of pathText.matchAll(pathPattern)) {
    const cited = m[1];
    if (/^(node_modules|@|[\w-]+\.(com|org|io|dev|net)\/)/.test(cited)) continue;
    if (!exists(cited)) report(m.index, `cites ${cited}, which does not exist`);
  }
  const sectionPatterns = [
    // README, Token rules · deploy/README.md, Secrets · README, section Kubernetes · README §Errors
    /((?:[\w.-]+\/)*README(?:\.md)?)(?:,\s*(?:section\s+)?|\s*§\s*)"?([A-Z][\w .'/-]*?)"?(?=\s*(?:[:;,.)\]]|\*\/|\n|$| section| and | for | says| lists| describes))/g,
    // the README's Performance section · the README's "nginx" example
    /((?:[\w.-]+\/)*README(?:\.md)?)'s\s+(?:"([^"\n]+)"|([A-Z][\w .-]*?)\s+section)/g,
  ];
  for (const pattern of sectionPatterns) {
    for (const m of text.matchAll(pattern)) {
      const doc = m[1] === 'README' ? 'README.md' : m[1].endsWith('README') ? `${m[1]}.md` : m[1];
      const section = (m[2] ?? m[3] ?? '').trim();
      if (section === '') continue;
      const path = [join(root, doc), join(root, dirname(file), doc)].find((p) => existsSync(p));
      if (path === undefined) {
        report(m.index, `cites ${doc}, which does not exist`);
        continue;
      }
      if (!headingCache.has(path)) headingCache.set(path, headingsOf(path));
      const wanted = section.toLowerCase();
      if (!headingCache.get(path).some((h) => h.startsWith(wanted)))
        report(
          m.index,
          `cites section "${section}" of ${relative(root, path)}, which has no such heading`,
        );
    }
  }
  return problems;
}

/** Every dangling reference under `root`, as `file:line: what`. */
export function checkReferences(root) {
  const headingCache = new Map();
  const ignored = ignoredBy(root);
  return listFiles(root).flatMap((file) => checkFile(root, file, headingCache, ignored));
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const root = resolve(process.argv[2] ?? fileURLToPath(new URL('../../..', import.meta.url)));
  const problems = checkReferences(root);
  for (const problem of problems) console.error(problem);
  if (problems.length > 0) {
    console.error(`${problems.length} reference(s) to something the repository does not hold`);
    process.exitCode = 1;
  } else {
    console.log('references: every cited file and section exists');
  }
}
