import { createRequire } from 'node:module';
import type { Server } from '@grpc/grpc-js';
import { defaultProtoRoot, HEALTH_PROTO_FILE } from '@tessera/contracts';

// @grpc/reflection and @grpc/proto-loader are loaded only by a server that serves reflection:
// imported statically they were loaded (code, and heap for their modules) by every process
// bundling this runtime, the sidecar included, which serves none (services/sidecar/src/app.ts).
const load = createRequire(import.meta.url);

/** Which .proto files describe the services, for server reflection. */
export interface ReflectionOptions {
  /** Directory the file names are relative to (and imports are resolved from). */
  readonly protoRoot: string;
  /** e.g. `['tessera/issuer/v1/issuer.proto']`. */
  readonly files: readonly string[];
}

/**
 * Adds `grpc.reflection.v1` and `v1alpha` describing the given files plus grpc.health.v1,
 * so grpcurl and friends can list and call every service without local protos.
 */
export function addReflection(
  server: Pick<Server, 'addService'>,
  options: ReflectionOptions,
): void {
  const { loadSync } = load('@grpc/proto-loader') as typeof import('@grpc/proto-loader');
  const { ReflectionService } = load('@grpc/reflection') as typeof import('@grpc/reflection');
  const definition = loadSync([...options.files, HEALTH_PROTO_FILE], {
    // The health proto comes from tessera's own proto/ when `protoRoot` does not hold it.
    includeDirs: [options.protoRoot, defaultProtoRoot()],
    longs: String,
    enums: String,
    defaults: true,
    oneofs: true,
  });
  new ReflectionService(definition).addToServer(server);
}
