import type { ServiceDefinition } from '@grpc/grpc-js';
import { findPresentedApiKey } from '@tessera/api-keys';
import type { Realm } from '@tessera/config';
import { TesseraError } from '@tessera/errors';
import { type Interceptor, readCredentials } from '@tessera/grpc-runtime';
import { authorizeApiKey } from './authorize.js';
import { CALLER, type Caller } from './caller.js';
import type { Requirement, RequirementTable } from './requirement.js';

/** A service's generated definition paired with its requirement table. */
export interface AccessRules {
  /** Requirements by full method path (`/package.Service/Method`). */
  readonly byPath: ReadonlyMap<string, Requirement>;
}

/**
 * Pairs a generated service definition with its requirement table. The table's type makes
 * every method of `definition` required, so this cannot be called with a table missing one.
 */
export function accessRules<D extends ServiceDefinition>(
  definition: D,
  table: RequirementTable<D>,
): AccessRules {
  const byPath = new Map<string, Requirement>();
  for (const name of Object.keys(definition) as (keyof D & string)[]) {
    const method = definition[name];
    if (method !== undefined) byPath.set(method.path, table[name]);
  }
  return { byPath };
}

/** What the access interceptor checks calls against. */
export interface AccessInterceptorOptions {
  /** The realm whose keys authenticate callers; read once per call, so reloads apply. */
  readonly realm: () => Realm;
  /** The rules of every service the server serves. */
  readonly services: readonly AccessRules[];
}

const CREDENTIALS_REQUIRED = 'credentials are required: send an API key in `authorization`';

/**
 * Authorizes every call before its handler runs, and denies by default:
 * - a method no table lists is refused with PERMISSION_DENIED (it may be served by the
 *   server, but nobody has said who may call it);
 * - an open method gets an anonymous caller;
 * - otherwise an API key of the realm (looked up by its SHA-256) that meets the requirement,
 *   or, where the requirement accepts one, a bearer token left for the handler to verify.
 *   No or unknown credentials are UNAUTHENTICATED; a known key without the permission is
 *   PERMISSION_DENIED.
 * The caller is stored under {@link CALLER} for {@link callerOf}.
 */
export function accessInterceptor(options: AccessInterceptorOptions): Interceptor {
  const requirements = new Map<string, Requirement>();
  for (const service of options.services) {
    for (const [path, requirement] of service.byPath) requirements.set(path, requirement);
  }
  return (request, ctx, next) => {
    const requirement = requirements.get(ctx.method);
    if (requirement === undefined) {
      throw new TesseraError(
        'PERMISSION_DENIED',
        `${ctx.method} has no access rule and is refused`,
      );
    }
    const caller = authenticate(requirement, options.realm(), ctx);
    ctx.values.set(CALLER, caller);
    return next(request, ctx);
  };
}

function authenticate(
  requirement: Requirement,
  realm: Realm,
  ctx: Parameters<Interceptor>[1],
): Caller {
  if (requirement.kind === 'open') return { kind: 'anonymous' };
  const key = findPresentedApiKey(realm, ctx.metadata);
  if (key !== undefined) {
    authorizeApiKey(key, ctx.method.slice(1), requirement);
    return { kind: 'api-key', key };
  }
  const { bearer } = readCredentials(ctx.metadata);
  if (bearer !== undefined && requirement.kind === 'scope' && requirement.bearer === true) {
    return { kind: 'bearer', token: bearer };
  }
  throw new TesseraError('UNAUTHENTICATED', CREDENTIALS_REQUIRED);
}
