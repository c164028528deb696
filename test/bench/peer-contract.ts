/**
 * What the peer's process (peer-server.ts) and the bench that drives it (peer.ts) agree on:
 * its one client, its resource server and the bench-only route that mints refresh tokens.
 */

/** The resource server whose access tokens are ES256 JWTs. */
export const RESOURCE = 'urn:tessera:bench:api';
/** The scope the resource server grants. */
export const SCOPE = 'api';
/** The one confidential client (`client_secret_basic`). */
export const CLIENT_ID = 'bench-client';
export const CLIENT_SECRET = 'bench-client-secret-0123456789abcdef';
/** `POST <SEED_PATH>?count=N`: N new grants with a refresh token each, as `{refreshTokens}`. */
export const SEED_PATH = '/bench/refresh-tokens';
/** The most refresh tokens one seed request may ask for. */
export const MAX_SEED = 10_000;
/** The provider's token and introspection endpoints (its defaults). */
export const TOKEN_PATH = '/token';
export const INTROSPECTION_PATH = '/token/introspection';
