/**
 * The bench's Envoy: `envoy.service.auth.v3.Authorization/Check` with the request's bytes
 * encoded once, before the load, and the answer's bytes compared, not decoded, on a repeat.
 *
 * Envoy encodes a CheckRequest in C++, outside the sidecar's process; a load generator that
 * encoded one with ts-proto per call (and decoded every answer) spent ~40% more CPU per call
 * than it does on the gRPC echo, whose bytes pass through untouched. With both loads doing
 * the same work per call, the Check figure and its echo limit differ only by what the sidecar
 * does.
 */
import { envoyAuthV3 } from '@tessera/contracts';
import { bytesClient, bytesMethod } from './echo-service.js';

/** An Authorization client sending and receiving bytes. */
export type RawAuthorizationClient = InstanceType<typeof RawAuthorizationClient>;

/** Constructor of {@link RawAuthorizationClient}. */
export const RawAuthorizationClient = bytesClient(
  { check: bytesMethod('/envoy.service.auth.v3.Authorization/Check') },
  'envoy.service.auth.v3.Authorization',
);

/** The request a proxy asks about. */
export interface OriginalRequest {
  readonly method: string;
  readonly path: string;
}

/** The encoded CheckRequest Envoy sends for `original` carrying `token`. */
export function encodeCheckRequest(token: string, original: OriginalRequest): Buffer {
  const request = envoyAuthV3.CheckRequest.fromPartial({
    attributes: {
      request: {
        http: {
          method: original.method,
          path: original.path,
          headers: {
            ':method': original.method,
            ':path': original.path,
            authorization: `Bearer ${token}`,
          },
        },
      },
    },
  });
  return Buffer.from(envoyAuthV3.CheckRequest.encode(request).finish());
}

/** The google.rpc code of an encoded CheckResponse (0 allowed). */
export function checkStatusCode(response: Buffer): number {
  return envoyAuthV3.CheckResponse.decode(response).status?.code ?? 0;
}
