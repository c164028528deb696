import { dirname, resolve } from 'node:path';
import type { Server } from '@grpc/grpc-js';
import { loadSync } from '@grpc/proto-loader';
import { ReflectionService } from '@grpc/reflection';
import { protoPath as healthProtoPath } from 'grpc-health-check';

/** Which .proto files describe the services, for server reflection. */
export interface ReflectionOptions {
  /** Directory the file names are relative to (and imports are resolved from). */
  readonly protoRoot: string;
  /** e.g. `['tessera/issuer/v1/issuer.proto']`. */
  readonly files: readonly string[];
}

// grpc-health-check ships its proto as <root>/health/v1/health.proto.
const HEALTH_PROTO_ROOT = resolve(dirname(healthProtoPath), '..', '..');
const HEALTH_PROTO_FILE = 'health/v1/health.proto';

/**
 * Adds `grpc.reflection.v1` and `v1alpha` describing the given files plus grpc.health.v1,
 * so grpcurl and friends can list and call every service without local protos.
 */
export function addReflection(
  server: Pick<Server, 'addService'>,
  options: ReflectionOptions,
): void {
  const definition = loadSync([...options.files, HEALTH_PROTO_FILE], {
    includeDirs: [options.protoRoot, HEALTH_PROTO_ROOT],
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  new ReflectionService(definition).addToServer(server);
}
