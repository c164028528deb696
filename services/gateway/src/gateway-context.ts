import { Metadata } from '@grpc/grpc-js';
import type { Clock } from '@tessera/clock';
import type { Realm } from '@tessera/config';
import type { issuerV1, sessionV1 } from '@tessera/contracts';
import { type UnaryMethod, unaryCall } from '@tessera/grpc-runtime';
import type { LocalValidator } from '@tessera/local-validation';
import type { SecureCookies } from './http/trusted-proxies.js';

/**
 * What every route handler works with: the backends, the local validator, the realm (for
 * what shapes HTTP only) and the credentials to call with. Routes hold no token rules: they
 * parse, forward credentials, call, and shape the answer.
 */
export interface GatewayContext {
  readonly issuer: issuerV1.IssuerServiceClient;
  readonly session: sessionV1.SessionServiceClient;
  readonly validator: LocalValidator;
  readonly realm: () => Realm;
  readonly clock: Clock;
  /** Budget of each backend call. */
  readonly deadlineMs: number;
  /** Metadata carrying the caller's API key, forwarded as presented. */
  callerMetadata(apiKey: string, requestId?: string): Metadata;
  /** Metadata carrying the gateway's own key (anonymous and JWT-authenticated routes). */
  serviceMetadata(requestId?: string): Metadata;
  /** The external base URL of this request (`https://auth.example.com`). */
  baseUrl(request: { protocol: string; host: string }): string;
  /** The configured external base URL without a trailing slash; '' when none is configured. */
  readonly publicUrl: string;
  /** When login cookies carry `Secure`. */
  readonly secureCookies: SecureCookies;
}

/** Calls a unary method of a generated client with the context's deadline. */
export function call<Req, Res>(
  ctx: GatewayContext,
  method: UnaryMethod<Req, Res>,
  request: Req,
  metadata: Metadata,
): Promise<Res> {
  return unaryCall(method, request, { deadlineMs: ctx.deadlineMs, metadata });
}

// grpc-js's legal metadata value characters (printable ASCII and space).
const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/** Builds the context from its parts. */
export function createGatewayContext(parts: {
  issuer: issuerV1.IssuerServiceClient;
  session: sessionV1.SessionServiceClient;
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
    const metadata = new Metadata();
    // gRPC metadata takes printable ASCII only; anything else cannot be a key of the realm,
    // so it is sent as no credentials (the backend then answers UNAUTHENTICATED).
    if (PRINTABLE_ASCII.test(apiKey)) metadata.set('authorization', apiKey);
    if (requestId && PRINTABLE_ASCII.test(requestId)) metadata.set('x-request-id', requestId);
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
