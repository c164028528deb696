import { createConnection, createServer, type Server, type Socket } from 'node:net';
import {
  credentials,
  Metadata,
  makeGenericClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { loadRealmFile } from '@tessera/config';
import { envoyAuthV3, issuerV1, sessionV1 } from '@tessera/contracts';
import { type UnaryMethod, unaryCall } from '@tessera/grpc-runtime';
import { service as healthService } from 'grpc-health-check';
import pino from 'pino';
import {
  createSidecarApp,
  type SidecarApp,
  type SidecarAppOptions,
} from '../../services/sidecar/src/app.js';
import { EMPTY_POLICY } from '../../services/sidecar/src/decision/policy.js';
import type { Stack } from '../support/stack.js';

/**
 * A TCP forwarder in front of a backend, so a test can make it unreachable (every connection
 * cut, nothing accepted) and reachable again on the same port, as a network partition would.
 */
export interface Forwarder {
  readonly address: string;
  /** Connections accepted so far (a reconnect shows up as a new one). */
  readonly accepted: number;
  cut(): Promise<void>;
  resume(): Promise<void>;
  close(): Promise<void>;
}

/** Starts a forwarder on a free loopback port to `target` (`host:port`). */
export async function startForwarder(target: string): Promise<Forwarder> {
  const [host, port] = [
    target.slice(0, target.lastIndexOf(':')),
    Number(target.slice(target.lastIndexOf(':') + 1)),
  ];
  const sockets = new Set<Socket>();
  let accepted = 0;
  let listenPort = 0;
  let server: Server | undefined;
  const open = async () => {
    const created = createServer((client) => {
      accepted += 1;
      const upstream = createConnection({ host, port });
      sockets.add(client);
      sockets.add(upstream);
      client.pipe(upstream).pipe(client);
      const drop = () => {
        client.destroy();
        upstream.destroy();
        sockets.delete(client);
        sockets.delete(upstream);
      };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
    });
    await new Promise<void>((resolve, reject) => {
      created.once('error', reject);
      created.listen(listenPort, '127.0.0.1', () => resolve());
    });
    const address = created.address();
    if (address !== null && typeof address === 'object') listenPort = address.port;
    server = created;
  };
  const shut = async () => {
    const current = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    if (current) await new Promise<void>((resolve) => current.close(() => resolve()));
  };
  await open();
  return {
    address: `127.0.0.1:${listenPort}`,
    get accepted() {
      return accepted;
    },
    cut: shut,
    resume: open,
    close: shut,
  };
}

/** A sidecar running in process against a stack, its two ports bound on loopback. */
export interface RunningSidecar {
  readonly app: SidecarApp;
  readonly grpcAddress: string;
  readonly httpUrl: string;
  readonly envoy: envoyAuthV3.AuthorizationClient;
  /** An issuer client pointed at the sidecar (its local Validate). */
  readonly issuer: issuerV1.IssuerServiceClient;
  check(request: envoyAuthV3.CheckRequest): Promise<envoyAuthV3.CheckResponse>;
  /** grpc.health.v1 overall status: 'SERVING', 'NOT_SERVING', or 'ERROR'. */
  health(): Promise<string>;
  stop(): Promise<void>;
}

/** Where the sidecar reaches its backends, and what else differs from the defaults. */
export interface SidecarTestOptions extends Partial<Omit<SidecarAppOptions, 'issuer' | 'session'>> {
  readonly issuerAddress: string;
  readonly sessionAddress: string;
}

const HealthClient = makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');

/** Starts a sidecar for `stack` (its admin key for the revocation stream). */
export async function startSidecar(
  stack: Stack,
  options: SidecarTestOptions,
): Promise<RunningSidecar> {
  const issuerBackend = new issuerV1.IssuerServiceClient(
    options.issuerAddress,
    credentials.createInsecure(),
  );
  const sessionBackend = new sessionV1.SessionServiceClient(
    options.sessionAddress,
    credentials.createInsecure(),
  );
  const realm = loadRealmFile(stack.realm.realmFile);
  const app = await createSidecarApp({
    issuer: issuerBackend,
    session: sessionBackend,
    apiKey: stack.realm.keys.admin,
    realm: () => realm,
    clock: stack.clock,
    logger: pino({ level: 'silent' }),
    policy: () => EMPTY_POLICY,
    claimHeaders: [],
    stripAuthorization: false,
    maxStalenessSeconds: 60,
    staleMode: 'fail-closed',
    cacheMaxEntries: 10_000,
    readinessPollMs: 20,
    ...options,
  });
  const port = await app.grpc.listen('127.0.0.1:0');
  const httpUrl = await app.http.listen({ host: '127.0.0.1', port: 0 });
  const grpcAddress = `127.0.0.1:${port}`;
  const envoy = new envoyAuthV3.AuthorizationClient(grpcAddress, credentials.createInsecure());
  const issuer = new issuerV1.IssuerServiceClient(grpcAddress, credentials.createInsecure());
  const health = new HealthClient(grpcAddress, credentials.createInsecure());
  return {
    app,
    grpcAddress,
    httpUrl,
    envoy,
    issuer,
    check: (request) =>
      unaryCall(
        (envoy.check as UnaryMethod<envoyAuthV3.CheckRequest, envoyAuthV3.CheckResponse>).bind(
          envoy,
        ),
        request,
        { deadlineMs: 5000, metadata: new Metadata() },
      ),
    health: () =>
      new Promise((resolve) => {
        const call = health.check as unknown as (
          request: { service: string },
          options: { deadline: number },
          callback: (error: ServiceError | null, response?: { status?: string | number }) => void,
        ) => void;
        call.call(health, { service: '' }, { deadline: Date.now() + 2000 }, (error, response) =>
          resolve(error ? 'ERROR' : String(response?.status)),
        );
      }),
    async stop() {
      envoy.close();
      issuer.close();
      health.close();
      await app.stop({ graceMs: 200 });
      issuerBackend.close();
      sessionBackend.close();
    },
  };
}

/** An Envoy CheckRequest for `method path` with these (lower-case) headers. */
export function checkRequest(
  method: string,
  path: string,
  headers: Record<string, string>,
): envoyAuthV3.CheckRequest {
  return envoyAuthV3.CheckRequest.fromPartial({
    attributes: { request: { http: { method, path, headers: { ':path': path, ...headers } } } },
  });
}

/** Polls `probe` every 20 ms until it returns true, bounded at 10 s. */
export async function until(probe: () => boolean | Promise<boolean>, what: string): Promise<void> {
  for (let i = 0; i < 500; i++) {
    if (await probe()) return;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  throw new Error(`never happened: ${what}`);
}
