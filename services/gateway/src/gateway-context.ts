import type { Clock } from '@tessera/clock';
import type { Realm } from '@tessera/config';
import type { issuerV1, sessionV1 } from '@tessera/contracts';
import type { Caller } from '@tessera/grpc-runtime';
import type { LocalValidator } from '@tessera/local-validation';
import type { SecureCookies } from './http/trusted-proxies.js';

/**
 * What every route handler works with: the backends, the local validator, the realm (for
 * what shapes HTTP only) and the credentials to call with. Routes hold no token rules: they
 * parse, forward credentials, call, and shape the answer.
 */
export interface GatewayContext {
  /** The issuer's unary RPCs, each with the context's deadline unless a call says otherwise. */
  readonly issuer: IssuerCaller;
  /** The session service's unary RPCs, likewise. */
  readonly session: SessionCaller;
  readonly validator: LocalValidator;
  readonly realm: () => Realm;
  readonly clock: Clock;
  /** Budget of each backend call. */
  readonly deadlineMs: number;
  /** Metadata carrying the caller's API key, forwarded as presented. */
  callerMetadata(apiKey: string, requestId?: string): CallMetadata;
  /** Metadata carrying the gateway's own key (anonymous and JWT-authenticated routes). */
  serviceMetadata(requestId?: string): CallMetadata;
  /** The external base URL of this request (`https://auth.example.com`). */
  baseUrl(request: { protocol: string; host: string }): string;
  /** The configured external base URL without a trailing slash; '' when none is configured. */
  readonly publicUrl: string;
  /** When login cookies carry `Secure`. */
  readonly secureCookies: SecureCookies;
}

/** The issuer as the gateway calls it. */
export type IssuerCaller = Caller<typeof issuerV1.IssuerServiceService>;

/** The session service as the gateway calls it. */
export type SessionCaller = Caller<typeof sessionV1.SessionServiceService>;

/** Per-call metadata: the credentials to forward and the request id. */
export type CallMetadata = Record<string, string>;

// grpc-js's legal metadata value characters (printable ASCII and space).
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/** Builds the context from its parts. */
export function createGatewayContext(parts: {
  issuer: IssuerCaller;
  session: SessionCaller;
  validator: LocalValidator;
  realm: () => Realm;
  clock: Clock;
  deadlineMs: number;
  serviceApiKey: string;
  publicUrl: string;
  /** Default `auto`. */
  secureCookies?: SecureCookies;
}): GatewayContext {
  const publicUrl = parts.publicUrl.replace(/\/$/, '');
  const withKey = (apiKey: string, requestId?: string) => {
    const metadata: CallMetadata = {};
    // gRPC metadata takes printable ASCII only; anything else cannot be a key of the realm,
    // so it is sent as no credentials (the backend then answers UNAUTHENTICATED). An empty
    // value still replaces a stream's own key, so a caller never borrows the gateway's.
    metadata.authorization = PRINTABLE_ASCII.test(apiKey) ? apiKey : '';
    if (requestId && PRINTABLE_ASCII.test(requestId)) metadata['x-request-id'] = requestId;
    return metadata;
  };
  return {
    issuer: parts.issuer,
    session: parts.session,
    validator: parts.validator,
    realm: parts.realm,
    clock: parts.clock,
    deadlineMs: parts.deadlineMs,
    callerMetadata: withKey,
    serviceMetadata: (requestId) => withKey(parts.serviceApiKey, requestId),
    baseUrl: (request) => publicUrl || `${request.protocol}://${request.host}`,
    publicUrl,
    secureCookies: parts.secureCookies ?? 'auto',
  };
}
