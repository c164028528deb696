import type { ServiceDefinition, UntypedServiceImplementation } from '@grpc/grpc-js';
import { adaptService } from './adapt-service.js';
import type { AsyncServiceHandlers } from './handler-types.js';
import type { CallPipeline } from './pipeline.js';

/** A service ready to be added to a server built by `createGrpcServer`. */
export interface ServiceRegistration {
  /** Fully-qualified service name, as health checks and reflection know it. */
  readonly name: string;
  readonly definition: ServiceDefinition;
  /** Builds the grpc-js implementation around the server's call pipeline. */
  bind(pipeline: CallPipeline): UntypedServiceImplementation;
}

/**
 * Pairs a ts-proto service definition with its async handlers, e.g.
 * `registerService(issuerV1.IssuerServiceService, handlers)`. The handlers are only adapted
 * when the server is created, because the chain they run in belongs to that server.
 */
export function registerService<D extends ServiceDefinition>(
  definition: D,
  handlers: AsyncServiceHandlers<D>,
): ServiceRegistration {
  return {
    name: serviceNameOf(definition),
    definition,
    bind: (pipeline) => adaptService(definition, handlers, pipeline),
  };
}

/** `tessera.issuer.v1.IssuerService`, read from the path of the definition's first method. */
export function serviceNameOf(definition: ServiceDefinition): string {
  const [first] = Object.values(definition);
  const path: unknown = first?.path;
  if (typeof path !== 'string' || !path.startsWith('/') || path.lastIndexOf('/') === 0) {
    throw new Error(
      'a service definition needs at least one method with a /package.Service/Method path',
    );
  }
  return path.slice(1, path.lastIndexOf('/'));
}
