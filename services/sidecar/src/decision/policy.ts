import { readFileSync } from 'node:fs';
import { ConfigError, describeIssues } from '@tessera/config';
import { parse } from 'yaml';
import { z } from 'zod';

const ruleSchema = z
  .object({
    /** Applies to this path and everything below it (`/admin` covers `/admin/x`, not `/administrator`). */
    pathPrefix: z.string().startsWith('/'),
    /** Upper-case HTTP methods; every method when omitted. */
    methods: z
      .array(
        z
          .string()
          .min(1)
          .transform((m) => m.toUpperCase()),
      )
      .optional(),
    /** The token's `aud` must be (or contain) this. */
    audience: z.string().min(1).optional(),
    /** Every one of these must be in the token's `scope` (space-separated) or `scp`. */
    scopes: z.array(z.string().min(1)).default([]),
    /** Every one of these must be in the token's `roles`. */
    roles: z.array(z.string().min(1)).default([]),
  })
  .strict();

const policySchema = z.object({ rules: z.array(ruleSchema).default([]) }).strict();

/** One route rule of the policy file. */
export type PolicyRule = z.output<typeof ruleSchema>;

/** The sidecar's per-route policy: rules by path prefix and method. */
export interface Policy {
  readonly rules: readonly PolicyRule[];
}

/** No rules: any valid token is allowed everywhere. */
export const EMPTY_POLICY: Policy = Object.freeze({ rules: [] });

/** Parses a policy document (the YAML's content); errors name the key path. */
export function parsePolicy(document: unknown, source: string): Policy {
  const parsed = policySchema.safeParse(document ?? {});
  if (!parsed.success) throw new ConfigError(source, describeIssues(parsed.error));
  return Object.freeze(parsed.data);
}

/** Reads and parses the policy file; the empty policy when `file` is ''. */
export function loadPolicyFile(file: string): Policy {
  if (file === '') return EMPTY_POLICY;
  return parsePolicy(parse(readFileSync(file, 'utf8')), file);
}

/**
 * The request path as the rules see it: query and fragment dropped, percent-encoding of
 * unreserved characters and dot segments resolved, repeated slashes collapsed, so that
 * `/public/../admin` or `//admin` meets the rule of `/admin` (the upstream resolves them the
 * same way).
 */
export function normalizePath(target: string): string {
  // RFC 3986 §6.2.2.2: percent-encoded unreserved characters are the characters themselves
  // (`/api/%61dmin` is `/api/admin` to any upstream). Encoded `/` stays encoded: whether it
  // splits a segment is the upstream's choice (the Envoy example rejects or unescapes it).
  const path = (target.split(/[?#]/, 1)[0] ?? '').replace(/%([0-9a-fA-F]{2})/g, (encoded, hex) => {
    const char = String.fromCharCode(Number.parseInt(hex, 16));
    return /[A-Za-z0-9\-._~]/.test(char) ? char : encoded.toUpperCase();
  });
  try {
    return new URL(path.replace(/\/{2,}/g, '/'), 'http://sidecar.invalid').pathname.replace(
      /\/{2,}/g,
      '/',
    );
  } catch {
    return '/';
  }
}

function covers(prefix: string, path: string): boolean {
  if (prefix === '/' || path === prefix) return true;
  const base = prefix.endsWith('/') ? prefix : `${prefix}/`;
  return path.startsWith(base);
}

/** The rule for a request: the longest matching prefix among the rules for its method. */
export function ruleFor(policy: Policy, method: string, target: string): PolicyRule | undefined {
  // Most sidecars run without a policy: no path to normalize on every request then.
  if (policy.rules.length === 0) return undefined;
  const path = normalizePath(target);
  const upper = method.toUpperCase();
  let best: PolicyRule | undefined;
  for (const rule of policy.rules) {
    if (rule.methods !== undefined && !rule.methods.includes(upper)) continue;
    if (!covers(rule.pathPrefix, path)) continue;
    if (best === undefined || rule.pathPrefix.length > best.pathPrefix.length) best = rule;
  }
  return best;
}

function stringsOf(value: unknown, split: boolean): string[] {
  if (typeof value === 'string') return split ? value.split(' ').filter(Boolean) : [value];
  if (Array.isArray(value)) return value.filter((item): item is string => typeof item === 'string');
  return [];
}

/** What a rule requires and the claims lack, as a human-readable reason; undefined when met. */
export function unmetRequirement(
  rule: PolicyRule,
  claims: Readonly<Record<string, unknown>>,
): string | undefined {
  if (rule.audience !== undefined && !stringsOf(claims.aud, false).includes(rule.audience)) {
    return `audience ${rule.audience} required`;
  }
  const scopes = new Set([...stringsOf(claims.scope, true), ...stringsOf(claims.scp, true)]);
  const missingScope = rule.scopes.find((scope) => !scopes.has(scope));
  if (missingScope !== undefined) return `scope ${missingScope} required`;
  const roles = new Set(stringsOf(claims.roles, false));
  const missingRole = rule.roles.find((role) => !roles.has(role));
  if (missingRole !== undefined) return `role ${missingRole} required`;
  return undefined;
}
