/**
 * The signing-keys file (a Kubernetes Secret): a JWK Set of private keys, each with `kid`,
 * `alg` and a lifecycle `state`. Parsed once at load with errors that name the key's path,
 * so an operator can find the bad entry in a file that holds only opaque key material.
 */
import { TesseraError } from '@tessera/errors';
import { z } from 'zod';
import { SIGNING_ALGORITHMS, type SigningAlgorithm } from './algorithms.js';
import { formatPath } from './format-path.js';
import { MAX_KID_LENGTH } from './limits.js';

/**
 * Where a key is in its rotation: `next` is published before it signs so verifiers already
 * hold it when it becomes `current`; `retired` stays published until its last token expires.
 */
export type KeyState = 'next' | 'current' | 'retired';

/** Every key state. */
export const KEY_STATES: readonly KeyState[] = Object.freeze([
  'next',
  'current',
  'retired',
] as const);

/** One private key as stored in the keys file. */
export interface KeyFileEntry {
  readonly kid: string;
  readonly alg: SigningAlgorithm;
  readonly state: KeyState;
  /** The full private JWK, including `kid` and `alg` (the file's `state` member is not a JWK member and is left out). */
  readonly jwk: Readonly<Record<string, unknown>>;
}

const entrySchema = z.looseObject({
  kid: z.string().min(1).max(MAX_KID_LENGTH),
  alg: z.enum(SIGNING_ALGORITHMS),
  state: z.enum(KEY_STATES),
  kty: z.string().min(1),
});

const fileSchema = z.object({ keys: z.array(entrySchema) });

/**
 * Parses and validates the JSON of a keys file. Throws INVALID_ARGUMENT naming `source` and
 * the path of the first bad member (`keys[2].alg`); duplicate kids are refused. Key material
 * itself is checked when the entries are loaded into a Keyring.
 */
export function parseKeyFile(json: unknown, source: string): KeyFileEntry[] {
  const parsed = fileSchema.safeParse(json);
  if (!parsed.success) {
    const issues = parsed.error.issues;
    const first = issues[0];
    const field = first === undefined ? '' : formatPath(first.path);
    const detail = issues.map((issue) => `${formatPath(issue.path) || '(root)'}: ${issue.message}`);
    throw new TesseraError('INVALID_ARGUMENT', `${source}: ${detail.join('; ')}`, {
      ...(field ? { field } : {}),
      metadata: { source },
    });
  }
  const seen = new Map<string, number>();
  return parsed.data.keys.map((raw, index) => {
    const earlier = seen.get(raw.kid);
    if (earlier !== undefined) {
      const field = `keys[${index}].kid`;
      throw new TesseraError(
        'INVALID_ARGUMENT',
        `${source}: ${field}: duplicate kid "${raw.kid}" (also keys[${earlier}])`,
        { field, metadata: { source, kid: raw.kid } },
      );
    }
    seen.set(raw.kid, index);
    const { state, ...jwk } = raw;
    return Object.freeze({ kid: raw.kid, alg: raw.alg, state, jwk: Object.freeze(jwk) });
  });
}

/** Serializes entries back to the keys-file shape: each private JWK plus its `state`. */
export function toKeyFileJson(entries: readonly KeyFileEntry[]): {
  keys: Record<string, unknown>[];
} {
  return {
    keys: entries.map((entry) => ({
      ...entry.jwk,
      kid: entry.kid,
      alg: entry.alg,
      state: entry.state,
    })),
  };
}
