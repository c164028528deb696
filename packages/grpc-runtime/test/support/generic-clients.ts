import { createRequire } from 'node:module';
import { dirname, resolve } from 'node:path';
import { type ChannelOptions, Client, type ClientReadableStream, credentials } from '@grpc/grpc-js';
import { loadSync, type MethodDefinition } from '@grpc/proto-loader';
import { service as healthService } from 'grpc-health-check';

type AnyMessage = object;

/** A method of a proto-loader service (grpc-health-check bundles its own proto-loader). */
function method(
  service: object | undefined,
  name: string,
): MethodDefinition<AnyMessage, AnyMessage> {
  const found = (service as Record<string, MethodDefinition<AnyMessage, AnyMessage> | undefined>)?.[
    name
  ];
  if (!found) throw new Error(`no method ${name}`);
  return found;
}

/**
 * A plain client for grpc.health.v1, built from grpc-health-check's own proto (the package
 * gRPC publishes), so the tests also show the server speaks the standard protocol.
 */
export class HealthClient {
  readonly #client: Client;

  constructor(address: string, options: ChannelOptions = {}) {
    this.#client = new Client(address, credentials.createInsecure(), options);
  }

  /** Check(service) → 'SERVING' | 'NOT_SERVING' | …; rejects with the grpc error. */
  check(service: string): Promise<string> {
    const check = method(healthService, 'Check');
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(
        check.path,
        check.requestSerialize,
        check.responseDeserialize,
        { service },
        { deadline: Date.now() + 5_000 },
        (error, response) => {
          if (error) reject(error);
          else resolve(String((response as { status?: unknown } | undefined)?.status));
        },
      );
    });
  }

  /** List() → status name by service name. */
  list(): Promise<Record<string, string>> {
    const list = method(healthService, 'List');
    return new Promise((resolve, reject) => {
      this.#client.makeUnaryRequest(
        list.path,
        list.requestSerialize,
        list.responseDeserialize,
        {},
        { deadline: Date.now() + 5_000 },
        (error, response) => {
          if (error) return reject(error);
          const statuses = (response as { statuses?: Record<string, { status?: unknown }> })
            ?.statuses;
          resolve(
            Object.fromEntries(
              Object.entries(statuses ?? {}).map(([name, entry]) => [name, String(entry.status)]),
            ),
          );
        },
      );
    });
  }

  /** Watch(service) as a stream of status names. */
  watch(service: string): ClientReadableStream<AnyMessage> {
    const watch = method(healthService, 'Watch');
    return this.#client.makeServerStreamRequest(
      watch.path,
      watch.requestSerialize,
      watch.responseDeserialize,
      { service },
    );
  }

  close(): void {
    this.#client.close();
  }
}

const REFLECTION_PROTO_ROOT = resolve(
  dirname(createRequire(import.meta.url).resolve('@grpc/reflection')),
  '..',
  'proto',
);

/** A plain client for grpc.reflection.v1, loaded from @grpc/reflection's own proto files. */
export class ReflectionClient {
  readonly #client: Client;
  readonly #info: MethodDefinition<AnyMessage, AnyMessage>;

  constructor(address: string) {
    this.#client = new Client(address, credentials.createInsecure());
    const definition = loadSync('grpc/reflection/v1/reflection.proto', {
      includeDirs: [REFLECTION_PROTO_ROOT],
      longs: String,
      enums: String,
      defaults: true,
      oneofs: true,
    });
    this.#info = method(definition['grpc.reflection.v1.ServerReflection'], 'ServerReflectionInfo');
  }

  /** Sends one request on a fresh ServerReflectionInfo stream and returns the answer. */
  ask(request: AnyMessage): Promise<Record<string, unknown>> {
    const stream = this.#client.makeBidiStreamRequest(
      this.#info.path,
      this.#info.requestSerialize,
      this.#info.responseDeserialize,
      { deadline: Date.now() + 5_000 },
    );
    return new Promise((resolve, reject) => {
      stream.once('data', (response: Record<string, unknown>) => {
        stream.end();
        resolve(response);
      });
      stream.once('error', reject);
      stream.write(request);
    });
  }

  close(): void {
    this.#client.close();
  }
}
