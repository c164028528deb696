import { TesseraError } from '@tessera/errors';
import type { z } from 'zod';

/**
 * A configuration problem found at start or reload. The message names the file and the key
 * path (`realm.yaml: tenants[0].issuer: expected string`), so an operator can fix it without
 * reading code.
 */
export class ConfigError extends TesseraError {
  constructor(source: string, problems: readonly string[]) {
    super('INVALID_ARGUMENT', `${source}: invalid configuration\n  ${problems.join('\n  ')}`, {
      field: problems[0]?.split(':')[0],
      metadata: { source },
    });
  }
}

/** Renders a key path the way operators write it: `tenants[0].jwt.audiences[1]`. */
export function formatPath(path: readonly PropertyKey[]): string {
  let out = '';
  for (const part of path) {
    if (typeof part === 'number') out += `[${part}]`;
    else out += out === '' ? String(part) : `.${String(part)}`;
  }
  return out === '' ? '(root)' : out;
}

/** One line per zod issue: `path: message`. */
export function describeIssues(error: z.ZodError): string[] {
  return error.issues.map((issue) => `${formatPath(issue.path)}: ${issue.message}`);
}
