import type { Clock } from '@tessera/clock';
import { TesseraError } from '@tessera/errors';
import type { LocalResult, LocalValidator } from '@tessera/local-validation';
import { type Freshness, freshnessOf, isAnswering, type StaleMode } from './freshness.js';
import { type ClaimHeader, type IdentityHeaders, identityHeaders } from './identity-headers.js';
import { type Policy, ruleFor, unmetRequirement } from './policy.js';

/** A request as the sidecar judges it, whatever protocol it came over. */
export interface AccessRequest {
  /** The original request's method and target (path and query). */
  readonly method: string;
  readonly target: string;
  /** The token it presented, if any. */
  readonly token: string | undefined;
}

/** Why a request was allowed or denied: the `reason` label of the decision metric. */
export type DecisionReason =
  | 'ALLOWED'
  | 'MISSING_TOKEN'
  | 'INSUFFICIENT_SCOPE'
  | 'UNAVAILABLE'
  | `INVALID_${string}`;

/** The answer to an access request. */
export type Decision =
  | {
      readonly allowed: true;
      readonly reason: 'ALLOWED';
      readonly claims: Readonly<Record<string, unknown>>;
      readonly tenantId: string | undefined;
      readonly headers: IdentityHeaders;
    }
  | {
      readonly allowed: false;
      readonly reason: DecisionReason;
      /** 401 (no or invalid token), 403 (policy), 503 (not loaded, or stale and fail-closed). */
      readonly status: 401 | 403 | 503;
      /** RFC 6750 challenge for 401 and 403. */
      readonly challenge: string | undefined;
      readonly description: string;
    };

/** What {@link createDecider} needs. */
export interface DeciderOptions {
  readonly validator: LocalValidator;
  readonly clock: Clock;
  readonly policy: () => Policy;
  readonly claimHeaders: readonly ClaimHeader[];
  readonly maxStalenessSeconds: number;
  readonly staleMode: StaleMode;
}

/** Judges access requests and reports how current the sidecar is. */
export interface Decider {
  /**
   * The decision: at once when it needs no signature check (a repeat token from the cache, no
   * token, not answering), else a promise of it. Callers answer a plain value in the same
   * turn: this is the hot path of Envoy's Check and auth-request, where a promise per layer
   * is paid per request.
   */
  decide(request: AccessRequest): Decision | Promise<Decision>;
  freshness(): Freshness;
  /**
   * Throws UNAVAILABLE unless tokens may be answered now (not loaded, or revocations stale
   * in fail-closed mode): for the Validate-style answers that have no deny shape of their own.
   */
  assertAnswering(): void;
}

// A quoted-string of RFC 6750: printable ASCII without `"` and `\`.
function quoted(text: string): string {
  return text.replace(/[^\x20-\x7e]|["\\]/g, ' ');
}

function unavailable(description: string): Decision {
  return { allowed: false, reason: 'UNAVAILABLE', status: 503, challenge: undefined, description };
}

/**
 * The one decision behind every mode (Envoy's Check, auth-request, the policy): the token is
 * validated by the local validator (no rules of the sidecar's own), then the policy rule of
 * the route, if any, is checked against its claims.
 */
export function createDecider(options: DeciderOptions): Decider {
  // A repeat token's claims are one frozen object shared by every cache hit (the validator
  // keeps its recent tokens decoded), so its identity headers are built once and the same
  // headers object comes back on every hit: Check answers are kept per headers object
  // (check-handler.ts), and a hit then allocates no header strings, arrays or answer.
  const headersByClaims = new WeakMap<
    object,
    { tenantId: string | undefined; headers: IdentityHeaders }
  >();
  const headersFor = (claims: Readonly<Record<string, unknown>>, tenantId: string | undefined) => {
    const known = headersByClaims.get(claims);
    if (known !== undefined && known.tenantId === tenantId) return known.headers;
    const headers = identityHeaders(claims, tenantId, options.claimHeaders);
    headersByClaims.set(claims, { tenantId, headers });
    return headers;
  };
  const freshnessOptions = {
    validator: options.validator,
    clock: options.clock,
    maxStalenessSeconds: options.maxStalenessSeconds,
    staleMode: options.staleMode,
  };
  const freshness = () => freshnessOf(freshnessOptions);
  const refusal = (current: Freshness): string =>
    current.loaded
      ? `revocations have not been confirmed current for over ${options.maxStalenessSeconds} s`
      : 'keys and revocations are not loaded yet';

  // The decision on a validated token: refused with its reason, refused by the route's
  // policy, or allowed with its identity headers.
  const judge = (request: AccessRequest, result: LocalResult): Decision => {
    if (!result.valid) {
      const description = `the token is not valid (${result.reason})`;
      return {
        allowed: false,
        reason: `INVALID_${result.reason}`,
        status: 401,
        challenge: `Bearer error="invalid_token", error_description="${quoted(description)}"`,
        description,
      };
    }
    const rule = ruleFor(options.policy(), request.method, request.target);
    const unmet = rule === undefined ? undefined : unmetRequirement(rule, result.claims);
    if (unmet !== undefined) {
      return {
        allowed: false,
        reason: 'INSUFFICIENT_SCOPE',
        status: 403,
        challenge: `Bearer error="insufficient_scope", error_description="${quoted(unmet)}"`,
        description: unmet,
      };
    }
    return {
      allowed: true,
      reason: 'ALLOWED',
      claims: result.claims,
      tenantId: result.tenantId,
      headers: headersFor(result.claims, result.tenantId),
    };
  };

  return {
    freshness,
    assertAnswering() {
      const current = freshness();
      if (!current.answering) throw new TesseraError('UNAVAILABLE', refusal(current));
    },
    decide(request) {
      if (!isAnswering(freshnessOptions)) return unavailable(refusal(freshness()));
      const token = request.token;
      if (token === undefined) {
        return {
          allowed: false,
          reason: 'MISSING_TOKEN',
          status: 401,
          // RFC 6750 §3.1: a request without credentials gets no error code.
          challenge: 'Bearer',
          description: 'a bearer token is required',
        };
      }
      const cached = options.validator.validateCached(token);
      if (cached !== undefined) return judge(request, cached);
      return options.validator.validate(token).then((result) =>
        // Revocations may have gone stale while the signature was checked off the loop: in
        // fail-closed mode the answer is then 503, as it would be for a request arriving now.
        isAnswering(freshnessOptions) ? judge(request, result) : unavailable(refusal(freshness())),
      );
    },
  };
}
