import type { IncomingHttpHeaders } from 'node:http';
import type { CallMetadata, GatewayContext } from '../../gateway-context.js';

/** A credential a Neostore caller presented, before the issuer checked it. */
export type NeostoreCredential =
  | { readonly kind: 'api-key'; readonly key: string }
  | { readonly kind: 'bearer'; readonly token: string };

// Credentials travel on as gRPC metadata, which only carries visible ASCII; a value with
// anything else (or a space inside) cannot be a key or a compact JWS.
const CREDENTIAL = /^[\x21-\x7e]+$/;
const MAX_API_KEY_LENGTH = 4096;

/**
 * Reads Neostore's two security schemes: the `X-API-KEY` header, or `Authorization: Bearer
 * <jwt>` no longer than `maxTokenLength`. When both are present the API key is used. Values
 * that cannot be credentials count as absent, so the caller is simply not authenticated.
 */
export function neostoreCredential(
  headers: IncomingHttpHeaders,
  maxTokenLength: number,
): NeostoreCredential | undefined {
  const key = headers['x-api-key'];
  if (typeof key === 'string') {
    const trimmed = key.trim();
    if (trimmed.length <= MAX_API_KEY_LENGTH && CREDENTIAL.test(trimmed)) {
      return { kind: 'api-key', key: trimmed };
    }
  }
  const authorization = headers.authorization;
  if (typeof authorization !== 'string') return undefined;
  const match = /^bearer[ \t]+(\S+)[ \t]*$/i.exec(authorization);
  const token = match?.[1];
  if (token === undefined || token.length > maxTokenLength || !CREDENTIAL.test(token)) {
    return undefined;
  }
  return { kind: 'bearer', token };
}

/**
 * The call metadata that forwards the credential to the issuer as presented: the key as the
 * bare `authorization` value, the bearer as `authorization: Bearer <jwt>`.
 */
export function credentialMetadata(
  ctx: GatewayContext,
  credential: NeostoreCredential,
  requestId: string,
): CallMetadata {
  if (credential.kind === 'api-key') return ctx.callerMetadata(credential.key, requestId);
  const metadata = ctx.callerMetadata('', requestId);
  // Set here rather than through the context's helper, which carries bare keys only (no
  // spaces); neostoreCredential already limited the token to visible ASCII.
  metadata.authorization = `Bearer ${credential.token}`;
  return metadata;
}
