import { credentials, type ServiceError } from '@grpc/grpc-js';
import type { Clock } from '@tessera/clock';
import { issuerV1 } from '@tessera/contracts';
import { TesseraError } from '@tessera/errors';
import { Registry } from 'prom-client';
import {
  type AsyncServiceHandlers,
  createChannelOptions,
  createGrpcServer,
  type GrpcServerOptions,
  type GrpcServerRuntime,
  type Interceptor,
  registerService,
} from '../../src/index.js';
import { type CapturedLogs, captureLogger } from './capture-logger.js';

/** Handlers of the issuer contract, as the runtime types them. */
export type IssuerHandlers = AsyncServiceHandlers<typeof issuerV1.IssuerServiceService>;

const notUsed = () => {
  throw new TesseraError('INTERNAL', 'not used by this test');
};

/** Every method fails; tests override the few they exercise. */
const FAILING_HANDLERS: IssuerHandlers = {
  vend: async () => notUsed(),
  generate: async () => notUsed(),
  issueApplicationToken: async () => notUsed(),
  issueForApplication: async () => notUsed(),
  startSession: async () => notUsed(),
  refresh: async () => notUsed(),
  reconcile: async () => notUsed(),
  validate: async () => notUsed(),
  getPublicKeys: async () => notUsed(),
  getJwks: async () => notUsed(),
  watchKeys: () => notUsed(),
};

/** A real issuer server on 127.0.0.1:0 with a generated client connected to it. */
export interface IssuerHarness {
  readonly runtime: GrpcServerRuntime;
  readonly client: issuerV1.IssuerServiceClient;
  readonly address: string;
  readonly port: number;
  readonly logs: CapturedLogs;
  readonly registry: Registry;
  /** Closes the client and shuts the server down (a no-op if the test already did). */
  close(): Promise<void>;
}

/** Options of {@link startIssuer}. */
export interface HarnessOptions {
  readonly interceptors?: readonly Interceptor[];
  readonly clock?: Clock;
  readonly reflection?: GrpcServerOptions['reflection'];
  readonly multiplex?: GrpcServerOptions['multiplex'];
  /** `127.0.0.1:0` by default. */
  readonly listen?: string;
  /** Where the server's metrics go; a new registry by default (share one across servers). */
  readonly registry?: Registry;
}

/** Starts the server and connects a client. */
export async function startIssuer(
  handlers: Partial<IssuerHandlers>,
  options: HarnessOptions = {},
): Promise<IssuerHarness> {
  const logs = captureLogger();
  const registry = options.registry ?? new Registry();
  const runtime = createGrpcServer({
    logger: logs.logger,
    registry,
    services: [
      registerService(issuerV1.IssuerServiceService, { ...FAILING_HANDLERS, ...handlers }),
    ],
    ...(options.interceptors ? { interceptors: options.interceptors } : {}),
    ...(options.clock ? { clock: options.clock } : {}),
    ...(options.reflection ? { reflection: options.reflection } : {}),
    ...(options.multiplex ? { multiplex: options.multiplex } : {}),
  });
  const listen = options.listen ?? '127.0.0.1:0';
  const port = await runtime.listen(listen);
  const address = `${listen.slice(0, listen.lastIndexOf(':'))}:${port}`;
  const client = new issuerV1.IssuerServiceClient(
    address,
    credentials.createInsecure(),
    createChannelOptions(),
  );
  return {
    runtime,
    client,
    address,
    port,
    logs,
    registry,
    async close() {
      client.close();
      await runtime.shutdown({ graceMs: 1_000 });
    },
  };
}

/** Awaits a rejection and returns it as a grpc ServiceError. */
export async function rejection(promise: Promise<unknown>): Promise<ServiceError> {
  try {
    await promise;
  } catch (error) {
    return error as ServiceError;
  }
  throw new Error('expected the call to fail');
}
