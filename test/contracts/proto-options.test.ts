/**
 * Every tessera proto carries the language options other languages generate from (README,
 * Contracts for other languages), so a new file cannot land without them.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const protoRoot = fileURLToPath(new URL('../../proto', import.meta.url));

function protoFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? protoFiles(path) : path.endsWith('.proto') ? [path] : [];
  });
}

function option(text: string, name: string): string | undefined {
  return new RegExp(`^option ${name} = (.+);$`, 'm').exec(text)?.[1];
}

describe('language options of the tessera protos', () => {
  const files = protoFiles(join(protoRoot, 'tessera'));

  it('finds the protos', () => {
    expect(files.length).toBeGreaterThanOrEqual(3);
  });

  for (const file of files) {
    it(`${relative(protoRoot, file)} sets go_package, java_package, java_multiple_files and csharp_namespace from its package`, () => {
      const text = readFileSync(file, 'utf8');
      const pkg = /^package (tessera(?:\.[a-z0-9_]+)+);$/m.exec(text)?.[1];
      expect(pkg, 'package tessera.<name>.<version>').toBeDefined();
      const parts = (pkg ?? '').split('.').slice(1);
      const pathName = parts.join('/');
      const goName = parts.join('').replace(/_/g, '');
      const pascal = (part: string) =>
        part
          .split('_')
          .map((word) => word.charAt(0).toUpperCase() + word.slice(1))
          .join('');
      expect(option(text, 'go_package')).toBe(
        `"buf.build/gen/go/tessera/api/protocolbuffers/go/tessera/${pathName};${goName}"`,
      );
      expect(option(text, 'java_package')).toBe(`"dev.${pkg}"`);
      expect(option(text, 'java_multiple_files')).toBe('true');
      expect(option(text, 'csharp_namespace')).toBe(
        `"${['Tessera', ...parts.map(pascal)].join('.')}"`,
      );
    });
  }
});
