import type { FastifyRequest } from 'fastify';
import type { GatewayContext } from '../../gateway-context.js';
import { ApiError } from '../../http/api-errors.js';
import { type FusionAuthCredentials, fusionAuthCredentials } from '../../http/credentials.js';
import { isRealmApiKey } from '../../http/realm-api-key.js';

/** FusionAuth's answer to missing or refused credentials: 401 with an empty body. */
export function unauthorized(message: string): ApiError {
  return new ApiError({ status: 401, message, empty: true });
}

// gRPC metadata values are printable ASCII: a key with any other character cannot be
// forwarded to the services, so it cannot be a key of the realm.
const FORWARDABLE_KEY = /^[\x20-\x7e]+$/;

/**
 * The credentials the request presented ({@link fusionAuthCredentials}); 401 for an API key
 * that could never be valid.
 */
export function credentialsOf(request: FastifyRequest): FusionAuthCredentials {
  const credentials = fusionAuthCredentials(request);
  if (credentials.apiKey !== undefined && !FORWARDABLE_KEY.test(credentials.apiKey)) {
    throw unauthorized('unknown API key');
  }
  return credentials;
}

/** The API key the request presented; 401 when it presented none. */
export function apiKeyOf(request: FastifyRequest): string {
  const { apiKey } = credentialsOf(request);
  if (apiKey === undefined) throw unauthorized('an API key is required');
  return apiKey;
}

/** The JWT the request presented (Bearer or `access_token` cookie); 401 when none. */
export function jwtOf(request: FastifyRequest): string {
  const { jwt } = credentialsOf(request);
  if (jwt === undefined) throw unauthorized('a JWT is required');
  return jwt;
}

// FusionAuth authenticates before it reads parameters, so a request without credentials is a
// 401 even when its parameters are also wrong: these run before schema validation, and on
// routes that take a body, as onRequest hooks, before the body is read at all.

/** preValidation hook of API-key routes. */
export async function requireApiKey(request: FastifyRequest): Promise<void> {
  apiKeyOf(request);
}

/** preValidation hook of JWT-authenticated routes. */
export async function requireJwt(request: FastifyRequest): Promise<void> {
  jwtOf(request);
}

/** preValidation hook of routes that take an API key or a JWT. */
export async function requireApiKeyOrJwt(request: FastifyRequest): Promise<void> {
  const { apiKey, jwt } = credentialsOf(request);
  if (apiKey === undefined && jwt === undefined) {
    throw unauthorized('an API key or a JWT is required');
  }
}

/**
 * onRequest hook of routes that read a body: an API key the realm does not know is a 401
 * before the body is parsed (the services would refuse it too, but only after the gateway
 * had done body-dependent work for an unauthenticated caller). A request with no key passes
 * on to the route's own credential checks.
 */
export function refuseUnknownApiKey(ctx: GatewayContext) {
  return async (request: FastifyRequest): Promise<void> => {
    const { apiKey } = credentialsOf(request);
    if (apiKey !== undefined && !isRealmApiKey(ctx.realm(), apiKey)) {
      throw unauthorized('unknown API key');
    }
  };
}
