import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import { parse as parseYaml, YAMLParseError } from 'yaml';
import { ConfigError, describeIssues } from './config-error.js';
import {
  type ApiKeyConfig,
  type ApplicationConfig,
  type IdentityProviderConfig,
  type RealmDocument,
  realmSchema,
  type TenantConfig,
} from './realm-schema.js';

/** An API key ready for lookup: the plaintext is gone, only its hash remains. */
export interface ApiKey extends Omit<ApiKeyConfig, 'key' | 'keyHash'> {
  readonly keyHash: string;
}

/** A validated, frozen realm with the lookups every service needs. */
export interface Realm {
  readonly document: RealmDocument;
  /** The realm file it came from (absolute), or a description. */
  readonly source: string;
  /** The signing-key file, resolved against the realm file's folder. */
  readonly keysFile: string;
  readonly tenants: ReadonlyMap<string, TenantConfig>;
  readonly applications: ReadonlyMap<string, ApplicationConfig>;
  readonly identityProviders: ReadonlyMap<string, IdentityProviderConfig>;
  /** API keys by the hex SHA-256 of the key. */
  readonly apiKeysByHash: ReadonlyMap<string, ApiKey>;
}

/**
 * A new random API key: 256 bits, base64url, behind a fixed `tsk_` prefix so it never starts
 * with `-` (command lines would read it as an option) and is easy to spot in a secret scan.
 */
export function generateApiKey(): string {
  return `tsk_${randomBytes(32).toString('base64url')}`;
}

/** Hex SHA-256 of an API key: what the realm file stores instead of the key. */
export function hashApiKey(key: string): string {
  return createHash('sha256').update(key, 'utf8').digest('hex');
}

/**
 * Parses and validates realm YAML. Every problem is reported at once, each with its key
 * path; cross-references (an application's tenant, an API key's application) are checked
 * too. `source` names the file in messages and anchors relative paths.
 */
export function parseRealm(text: string, source: string): Realm {
  let raw: unknown;
  try {
    raw = parseYaml(text, { prettyErrors: false, uniqueKeys: true });
  } catch (error) {
    // Only the position and the kind of error: the parser's own message quotes the offending
    // line, which may hold a plaintext development API key, and this message reaches logs.
    const detail =
      error instanceof YAMLParseError
        ? `${error.code} at ${positionOf(text, error.pos[0])}`
        : 'the file is not valid YAML';
    throw new ConfigError(source, [`(yaml): ${detail}`]);
  }
  const parsed = realmSchema.safeParse(raw ?? {});
  if (!parsed.success) throw new ConfigError(source, describeIssues(parsed.error));
  const document = parsed.data;
  const problems = crossCheck(document);
  if (problems.length > 0) throw new ConfigError(source, problems);

  const baseDir = dirname(resolve(source));
  const resolvePath = (path: string) => (isAbsolute(path) ? path : resolve(baseDir, path));
  const apiKeysByHash = new Map<string, ApiKey>();
  for (const { key, keyHash, ...rest } of document.apiKeys) {
    const hash = keyHash ?? hashApiKey(key ?? '');
    apiKeysByHash.set(hash, Object.freeze({ ...rest, keyHash: hash }));
  }
  return Object.freeze({
    document: deepFreeze(document),
    source: resolve(source),
    keysFile: resolvePath(document.keys.file),
    tenants: new Map(document.tenants.map((t) => [t.id, t])),
    applications: new Map(document.applications.map((a) => [a.id, a])),
    identityProviders: new Map(document.identityProviders.map((p) => [p.id, p])),
    apiKeysByHash,
  });
}

/** Reads and parses a realm file. */
export function loadRealmFile(path: string): Realm {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    throw new ConfigError(path, [`(file): cannot read the realm file (${code})`]);
  }
  return parseRealm(text, path);
}

/** `line L, column C` (1-based) of a character offset. */
function positionOf(text: string, offset: number): string {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  const column = offset - before.lastIndexOf('\n');
  return `line ${line}, column ${column}`;
}

function crossCheck(doc: RealmDocument): string[] {
  const problems: string[] = [];
  const tenantIds = new Set<string>();
  doc.tenants.forEach((tenant, i) => {
    if (tenantIds.has(tenant.id))
      problems.push(`tenants[${i}].id: duplicate tenant id ${tenant.id}`);
    tenantIds.add(tenant.id);
  });
  const applicationIds = new Set<string>();
  doc.applications.forEach((app, i) => {
    if (applicationIds.has(app.id))
      problems.push(`applications[${i}].id: duplicate application id ${app.id}`);
    applicationIds.add(app.id);
    if (!tenantIds.has(app.tenantId))
      problems.push(`applications[${i}].tenantId: no tenant has id ${app.tenantId}`);
  });
  const keyIds = new Set<string>();
  const hashes = new Set<string>();
  doc.apiKeys.forEach((key, i) => {
    if (keyIds.has(key.id)) problems.push(`apiKeys[${i}].id: duplicate API key id ${key.id}`);
    keyIds.add(key.id);
    if (key.key !== undefined && doc.mode !== 'development') {
      problems.push(
        `apiKeys[${i}].key: plaintext keys are allowed only with \`mode: development\`; store keyHash instead`,
      );
    }
    const hash = key.keyHash ?? hashApiKey(key.key ?? '');
    if (hashes.has(hash)) problems.push(`apiKeys[${i}]: the same key is configured twice`);
    hashes.add(hash);
    if (key.tenantId !== undefined && !tenantIds.has(key.tenantId)) {
      problems.push(`apiKeys[${i}].tenantId: no tenant has id ${key.tenantId}`);
    }
    if (key.applicationId !== undefined) {
      const app = doc.applications.find((a) => a.id === key.applicationId);
      if (app === undefined)
        problems.push(`apiKeys[${i}].applicationId: no application has id ${key.applicationId}`);
      else if (key.tenantId !== undefined && key.tenantId !== app.tenantId) {
        problems.push(
          `apiKeys[${i}].applicationId: the application belongs to another tenant than the key's tenantId`,
        );
      }
    }
  });
  doc.identityProviders.forEach((idp, i) => {
    idp.tenantIds?.forEach((tid, j) => {
      if (!tenantIds.has(tid))
        problems.push(`identityProviders[${i}].tenantIds[${j}]: no tenant has id ${tid}`);
    });
    idp.applicationIds?.forEach((aid, j) => {
      if (!applicationIds.has(aid))
        problems.push(`identityProviders[${i}].applicationIds[${j}]: no application has id ${aid}`);
    });
  });
  return problems;
}

function deepFreeze<T>(value: T): T {
  if (value !== null && typeof value === 'object' && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}
