/** One claim forwarded to the upstream as a header. */
export interface ClaimHeader {
  readonly claim: string;
  /** Lower-case header name. */
  readonly header: string;
}

/** The headers every allowed request carries to the upstream (when the claim is there). */
export const IDENTITY_HEADERS = {
  subject: 'x-tessera-subject',
  tenant: 'x-tessera-tenant',
  application: 'x-tessera-application',
  roles: 'x-tessera-roles',
} as const;

const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9a-z]+$/;
// Sent only when every character is printable ASCII: a claim with a line break or a byte an
// HTTP stack would reject or re-encode is left out rather than forwarded mangled.
const HEADER_VALUE = /^[\x20-\x7e]*$/;

/**
 * Parses `SIDECAR_CLAIM_HEADERS` (`claim=header,claim=header`). Header names are lower-cased;
 * a malformed entry or a header the sidecar sets itself is refused.
 */
export function parseClaimHeaders(value: string): readonly ClaimHeader[] {
  const reserved = new Set<string>(Object.values(IDENTITY_HEADERS));
  return value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '')
    .map((entry) => {
      const [claim, header, extra] = entry.split('=').map((part) => part.trim());
      const name = header?.toLowerCase() ?? '';
      if (!claim || extra !== undefined || !HEADER_NAME.test(name)) {
        throw new Error(`"${entry}" must be claim=header-name`);
      }
      if (reserved.has(name) || name === 'authorization') {
        throw new Error(`"${entry}": ${name} is set by the sidecar itself`);
      }
      return { claim, header: name };
    });
}

function headerValue(value: unknown): string | undefined {
  let text: string | undefined;
  if (typeof value === 'string') text = value;
  else if (typeof value === 'number' || typeof value === 'boolean') text = String(value);
  else if (Array.isArray(value) && value.every((item) => typeof item === 'string')) {
    text = value.join(',');
  } else if (value !== undefined && value !== null) text = JSON.stringify(value);
  return text !== undefined && text !== '' && HEADER_VALUE.test(text) ? text : undefined;
}

/** The identity headers of a verified token, and every name the sidecar owns. */
export interface IdentityHeaders {
  /** Headers to set, lower-case names. */
  readonly set: ReadonlyArray<readonly [string, string]>;
  /**
   * Every header name the sidecar owns that this answer does not set: removed from the
   * request, so a client cannot send its own `x-tessera-roles` past a token without roles.
   */
  readonly unset: readonly string[];
}

/** The headers the upstream gets for a verified token's claims (frozen: answers share them). */
export function identityHeaders(
  claims: Readonly<Record<string, unknown>>,
  tenantId: string | undefined,
  claimHeaders: readonly ClaimHeader[],
): IdentityHeaders {
  const wanted: Array<readonly [string, unknown]> = [
    [IDENTITY_HEADERS.subject, claims.sub],
    [IDENTITY_HEADERS.tenant, tenantId ?? claims.tid],
    [IDENTITY_HEADERS.application, claims.applicationId],
    [IDENTITY_HEADERS.roles, claims.roles],
    ...claimHeaders.map(({ claim, header }) => [header, claims[claim]] as const),
  ];
  const set: Array<readonly [string, string]> = [];
  const unset: string[] = [];
  for (const [name, value] of wanted) {
    const text = headerValue(value);
    if (text === undefined) unset.push(name);
    else set.push(Object.freeze([name, text] as const));
  }
  return Object.freeze({ set: Object.freeze(set), unset: Object.freeze(unset) });
}

/**
 * `build` made once per identity-headers object and then kept: the decider hands a repeat
 * token the same headers object on every cache hit (decide.ts), so what each mode answers
 * with it (an encoded Check answer, auth-request's response headers) is built on the first
 * hit only. Weak, so what was built goes when its token's headers do.
 */
export function perIdentity<T extends object>(
  build: (headers: IdentityHeaders) => T,
): (headers: IdentityHeaders) => T {
  const kept = new WeakMap<IdentityHeaders, T>();
  return (headers) => {
    let built = kept.get(headers);
    if (built === undefined) {
      built = build(headers);
      kept.set(headers, built);
    }
    return built;
  };
}
