import type {
  MethodDefinition,
  ServiceDefinition,
  UntypedServiceImplementation,
} from '@grpc/grpc-js';
import { adaptService } from './adapt-service.js';
import type { AsyncServiceHandlers, UnaryHandler } from './handler-types.js';
import type { CallPipeline } from './pipeline.js';

/** A service ready to be added to a server built by `createGrpcServer`. */
export interface ServiceRegistration {
  /** Fully-qualified service name, as health checks and reflection know it. */
  readonly name: string;
  readonly definition: ServiceDefinition;
  /** Builds the grpc-js implementation around the server's call pipeline. */
  bind(pipeline: CallPipeline): UntypedServiceImplementation;
  /**
   * The unary methods by full path, with their handlers: what a multiplexed stream may carry
   * (server-streams stay on their own RPC).
   */
  readonly unaryMethods: ReadonlyMap<string, UnaryMethodEntry>;
}

/** A unary method a multiplexed stream can carry: its codec and its handler. */
export interface UnaryMethodEntry {
  readonly definition: MethodDefinition<unknown, unknown>;
  readonly handler: UnaryHandler<unknown, unknown>;
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
  const byName = handlers as unknown as Readonly<Record<string, unknown>>;
  const unaryMethods = new Map<string, UnaryMethodEntry>();
  const methods: [string, MethodDefinition<unknown, unknown>][] = Object.entries(definition);
  for (const [name, method] of methods) {
    const handler = byName[name];
    if (method.requestStream || method.responseStream || typeof handler !== 'function') continue;
    unaryMethods.set(method.path, {
      definition: method,
      handler: handler as UnaryHandler<unknown, unknown>,
    });
  }
  return {
    name: serviceNameOf(definition),
    definition,
    bind: (pipeline) => adaptService(definition, handlers, pipeline),
    unaryMethods,
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
