/**
 * Every place a secret may sit in a log object (README, Token rules: keys, refresh tokens, API keys,
 * Authorization headers and cookies never reach a log). Paths use pino's redaction syntax;
 * a field name is covered at the top level and one and two levels deep, because a secret is
 * as often logged inside `{ session: { refreshToken } }` as beside the message.
 */

/** Header names that carry credentials, in HTTP headers and gRPC metadata (lower-cased). */
const CREDENTIAL_HEADERS = [
  'authorization',
  'proxy-authorization',
  'cookie',
  'set-cookie',
  'x-api-key',
  'x-gateway-apikey',
] as const;

/** Where headers and metadata are logged: pino's req/res serializers, gRPC call metadata. */
const HEADER_CONTAINERS = [
  'req.headers',
  'res.headers',
  'request.headers',
  'response.headers',
  'headers',
  'metadata',
  '*.headers',
  '*.metadata',
] as const;

/**
 * Field names whose value is a secret wherever they appear: tokens in every spelling the
 * three legacy APIs use, credentials, key material, and the private members of a JWK
 * (EC/OKP `d`; RSA `d`, `p`, `q`, `dp`, `dq`, `qi`, `oth`; symmetric `k`).
 */
const SECRET_FIELDS = [
  'token',
  'refreshToken',
  'refresh_token',
  'accessToken',
  'access_token',
  'idToken',
  'id_token',
  'encodedJWT',
  'apiKey',
  'api_key',
  'key',
  'password',
  'secret',
  'clientSecret',
  'client_secret',
  'privateKey',
  'private_key',
  'pepper',
  'authorization',
  'cookie',
  'd',
  'p',
  'q',
  'dp',
  'dq',
  'qi',
  'oth',
  'k',
] as const;

/** Private JWK members, also redacted inside a JWK set's `keys` array. */
const JWK_PRIVATE_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

/** Every redacted path, handed to pino's `redact.paths`. */
export const REDACTED_PATHS: readonly string[] = Object.freeze([
  ...HEADER_CONTAINERS.flatMap((container) =>
    CREDENTIAL_HEADERS.map((header) => `${container}["${header}"]`),
  ),
  ...SECRET_FIELDS.flatMap((field) => [field, `*.${field}`, `*.*.${field}`]),
  ...JWK_PRIVATE_MEMBERS.flatMap((member) => [`keys[*].${member}`, `*.keys[*].${member}`]),
]);
