import { issuerV1, sessionV1 } from '@tessera/contracts';
import { createCaller, createCallTransport, credentialsMetadata } from '@tessera/grpc-runtime';
import { createLocalValidator, type LocalValidator } from '@tessera/local-validation';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { buildGateway } from '../../services/gateway/src/app.js';
import { backendsServing } from '../../services/gateway/src/backend-health.js';
import { createGatewayContext } from '../../services/gateway/src/gateway-context.js';
import { type Stack, type StackOptions, startStack } from './stack.js';

/** Issuer + session (see stack.ts) with the REST gateway in front, on 127.0.0.1:0. */
export interface GatewayStack extends Stack {
  readonly gateway: FastifyInstance;
  readonly validator: LocalValidator;
  /** `http://127.0.0.1:<port>` */
  readonly baseUrl: string;
  readonly registry: Registry;
}

/**
 * Starts the whole stack with the gateway. The gateway's own service key is the realm's
 * `plain` key (every endpoint, no scope); callers use the keys of `stack.realm.keys`.
 */
export async function startGatewayStack(options: StackOptions = {}): Promise<GatewayStack> {
  const stack = await startStack(options);
  const serviceKey = stack.realm.keys.plain;
  const validator = createLocalValidator({
    issuer: stack.issuerClient,
    session: stack.sessionClient,
    metadata: () => credentialsMetadata(serviceKey),
    clock: stack.clock,
    logger: pino({ level: 'silent' }),
  });
  await validator.ready;
  const registry = new Registry();
  // The gateway calls its backends the way main.ts does, over the transport the stack chose.
  const backend = (address: string) =>
    createCallTransport({
      kind: options.transport ?? 'stream',
      target: address,
      metadata: { authorization: serviceKey },
      ...(options.tracing?.gateway ? { tracing: options.tracing.gateway } : {}),
    });
  const issuerTransport = backend(stack.issuerAddress);
  const sessionTransport = backend(stack.sessionAddress);
  const gateway = await buildGateway({
    context: createGatewayContext({
      issuer: createCaller(issuerV1.IssuerServiceService, issuerTransport, { deadlineMs: 5000 }),
      session: createCaller(sessionV1.SessionServiceService, sessionTransport, {
        deadlineMs: 5000,
      }),
      validator,
      realm: () => stack.session.realm.current,
      clock: stack.clock,
      deadlineMs: 5000,
      serviceApiKey: serviceKey,
      publicUrl: '',
    }),
    logger: options.logger?.('gateway') ?? pino({ level: 'silent' }),
    ...(options.tracing?.gateway ? { tracing: options.tracing.gateway } : {}),
    registry,
    bodyLimitBytes: 1024 * 1024,
    ready: () => backendsServing([stack.issuerClient, stack.sessionClient], 1000),
  });
  const address = await gateway.listen({ host: '127.0.0.1', port: 0 });
  return {
    ...stack,
    gateway,
    validator,
    baseUrl: address,
    registry,
    async close() {
      await gateway.close();
      issuerTransport.close();
      sessionTransport.close();
      validator.stop();
      await stack.close();
    },
  };
}
