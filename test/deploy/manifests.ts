import { execFile } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { TRACING_ENV_NAMES } from '@tessera/tracing';
import { parseAllDocuments } from 'yaml';
import { REPO_ROOT } from './image-tree.js';

const run = promisify(execFile);

/** A Kubernetes object as rendered: only what the checks read is typed. */
export interface K8sObject {
  readonly apiVersion: string;
  readonly kind: string;
  readonly metadata: { readonly name: string; readonly namespace?: string };
  readonly spec?: Record<string, unknown>;
  readonly [field: string]: unknown;
}

/** Renders a kustomization folder of deploy/kubernetes with `kubectl kustomize`. */
export async function kustomize(folder: string): Promise<K8sObject[]> {
  const { stdout } = await run(
    'kubectl',
    ['kustomize', join(REPO_ROOT, 'deploy/kubernetes', folder)],
    {
      maxBuffer: 16 * 1024 * 1024,
    },
  ).catch((error: unknown) => {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') {
      throw new Error('kubectl is not on PATH: .ci/run installs it (see its "kubectl" step)');
    }
    throw error;
  });
  return parseAllDocuments(stdout).map((document) => {
    if (document.errors.length > 0) throw document.errors[0];
    return document.toJS() as K8sObject;
  });
}

/** The environment variables a service's config.ts reads, and which of them have no default. */
export interface EnvSchema {
  readonly names: ReadonlySet<string>;
  readonly required: ReadonlySet<string>;
}

/**
 * Reads a service's environment schema from its config.ts (the only reader of the environment):
 * each `NAME:` property of the zod object, required when its definition has no `.default(`.
 * Undefined when the service is not in this tree.
 */
export function envSchemaOf(service: string): EnvSchema | undefined {
  const file = join(REPO_ROOT, 'services', service, 'src/config.ts');
  if (!existsSync(file)) return undefined;
  const text = readFileSync(file, 'utf8');
  const properties = [...text.matchAll(/^ {2,4}([A-Z][A-Z0-9_]+): /gm)];
  const names = new Set<string>();
  const required = new Set<string>();
  properties.forEach((match, index) => {
    const name = match[1] ?? '';
    const end = properties[index + 1]?.index ?? text.length;
    const definition = text.slice(match.index, end);
    names.add(name);
    if (!definition.includes('.default(')) required.add(name);
  });
  // A service that reads its tracing settings reads every standard OTEL_* variable (all optional).
  if (text.includes('readTracingSettings(')) for (const name of TRACING_ENV_NAMES) names.add(name);
  return { names, required };
}

/**
 * Settings required together with others (the refinements of the services' config.ts), and
 * ones this deployment always needs although the code has a default for a laptop.
 */
export const ALSO_REQUIRED: Record<string, readonly string[]> = {
  // SESSION_API_KEY is required once SESSION_ADDRESS is set; the issuer needs the session service.
  issuer: ['SESSION_ADDRESS', 'SESSION_API_KEY'],
  // REDIS_URL is required with SESSION_STORE=redis, the default.
  session: ['REDIS_URL'],
};
