import { credentials, Metadata } from '@grpc/grpc-js';
import { ManualClock } from '@tessera/clock';
import { issuerV1 } from '@tessera/contracts';
import {
  type RpcErrorDetails,
  readErrorDetails,
  type UnaryMethod,
  unaryCall,
} from '@tessera/grpc-runtime';
import { type StandardRealm, writeStandardRealm } from '@tessera/testing';
import pino from 'pino';
import { createIssuerApp, type IssuerApp } from '../../src/app.js';

/** A running issuer on 127.0.0.1:0 over the standard realm, with a frozen clock. */
export interface IssuerHarness {
  readonly realm: StandardRealm;
  readonly app: IssuerApp;
  readonly clock: ManualClock;
  readonly client: issuerV1.IssuerServiceClient;
  readonly port: number;
  /** Calls a unary RPC with `apiKey` (or no credentials when undefined). */
  call<Req, Res>(
    method: keyof issuerV1.IssuerServiceClient,
    request: Req,
    apiKey?: string | Metadata,
  ): Promise<Res>;
  /** Calls and expects a failure; resolves with its details. */
  fail(
    method: keyof issuerV1.IssuerServiceClient,
    request: unknown,
    apiKey?: string | Metadata,
  ): Promise<RpcErrorDetails>;
  close(): Promise<void>;
}

/** Starts an issuer for one test file. */
export async function startIssuer(
  options: { watchIntervalMs?: number } = {},
): Promise<IssuerHarness> {
  const realm = await writeStandardRealm();
  const clock = new ManualClock(Date.UTC(2031, 5, 1, 12, 0, 0));
  const app = await createIssuerApp({
    realmFile: realm.realmFile,
    logger: pino({ level: 'silent' }),
    clock,
    ...(options.watchIntervalMs === undefined ? {} : { watchIntervalMs: options.watchIntervalMs }),
  });
  const port = await app.grpc.listen('127.0.0.1:0');
  const client = new issuerV1.IssuerServiceClient(
    `127.0.0.1:${port}`,
    credentials.createInsecure(),
  );

  const call = <Req, Res>(
    method: keyof issuerV1.IssuerServiceClient,
    request: Req,
    apiKey?: string | Metadata,
  ) => {
    const metadata = apiKey instanceof Metadata ? apiKey : new Metadata();
    if (typeof apiKey === 'string') metadata.set('authorization', apiKey);
    const fn = (client[method] as unknown as UnaryMethod<Req, Res>).bind(client);
    return unaryCall(fn, request, { deadlineMs: 10_000, metadata });
  };
  const fail = async (
    method: keyof issuerV1.IssuerServiceClient,
    request: unknown,
    apiKey?: string | Metadata,
  ) => {
    try {
      await call(method, request, apiKey);
    } catch (error) {
      const details = readErrorDetails(error);
      if (details === undefined) throw error;
      return details;
    }
    throw new Error(`expected ${String(method)} to fail`);
  };
  return {
    realm,
    app,
    clock,
    client,
    port,
    call,
    fail,
    async close() {
      client.close();
      await app.stop({ graceMs: 1000 });
      realm.cleanup();
    },
  };
}

/** Decodes a JWT's header and payload without verifying (tests inspect what was signed). */
export function decodeJwt(token: string): {
  header: Record<string, unknown>;
  payload: Record<string, unknown>;
} {
  const [header, payload] = token.split('.');
  return {
    header: JSON.parse(Buffer.from(header ?? '', 'base64url').toString('utf8')),
    payload: JSON.parse(Buffer.from(payload ?? '', 'base64url').toString('utf8')),
  };
}
