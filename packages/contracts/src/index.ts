/**
 * tessera's gRPC contracts: ts-proto output generated from `proto/` (never edited by hand;
 * `npm run generate` rewrites `src/gen`, CI fails when it is not current).
 *
 * Each proto package is re-exported as a namespace so names never collide:
 * `issuerV1.VendRequest`, `sessionV1.RefreshToken`, `commonV1.ValidationReason`. The `envoy*`
 * namespaces are Envoy's ext_authz API (a subset under `proto/envoy`, Envoy's field numbers);
 * `grpcHealthV1` is gRPC's standard health protocol (`proto/grpc/health/v1`, unchanged).
 */
import { existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export * as envoyCoreV3 from './gen/envoy/config/core/v3/base.js';
export * as envoyAuthAttributesV3 from './gen/envoy/service/auth/v3/attribute_context.js';
export * as envoyAuthV3 from './gen/envoy/service/auth/v3/external_auth.js';
export * as envoyTypeV3 from './gen/envoy/type/v3/http_status.js';
export * as googleProtobufAny from './gen/google/protobuf/any.js';
export * as googleRpc from './gen/google/rpc/error_details.js';
export * as googleRpcStatus from './gen/google/rpc/status.js';
export * as grpcHealthV1 from './gen/grpc/health/v1/health.js';
export * as commonV1 from './gen/tessera/common/v1/common.js';
export * as issuerV1 from './gen/tessera/issuer/v1/issuer.js';
export * as sessionV1 from './gen/tessera/session/v1/session.js';
export * as transportV1 from './gen/tessera/transport/v1/transport.js';

/**
 * Where the .proto sources live, for server reflection and for tools that load the protos at
 * run time. Two layouts hold them: this repository (`proto/` at the root, reached the same way
 * from `src/index.ts` and from a service bundle in `services/<name>/dist/`), and the installed
 * package (`proto/` beside `dist/`, copied in by `npm run build`).
 */
export function defaultProtoRoot(): string {
  const candidates = [
    new URL('../../../proto', import.meta.url),
    new URL('../proto', import.meta.url),
  ];
  for (const candidate of candidates) {
    const root = fileURLToPath(candidate);
    if (existsSync(`${root}/${SERVICE_PROTO_FILES[0]}`)) return root;
  }
  return fileURLToPath(candidates[0] as URL);
}

/** The .proto files that define tessera's services, relative to the proto root. */
export const SERVICE_PROTO_FILES = [
  'tessera/issuer/v1/issuer.proto',
  'tessera/session/v1/session.proto',
  'tessera/transport/v1/transport.proto',
] as const;

/** The .proto file of gRPC's standard health service, relative to the proto root. */
export const HEALTH_PROTO_FILE = 'grpc/health/v1/health.proto';

/** The .proto file of Envoy's ext_authz service (served by the sidecar), relative to the proto root. */
export const ENVOY_AUTHORIZATION_PROTO_FILE = 'envoy/service/auth/v3/external_auth.proto';
