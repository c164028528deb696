import {
  type ChannelCredentials,
  type ChannelOptions,
  Client,
  credentials,
  Metadata,
  type ServiceError,
  status,
} from '@grpc/grpc-js';
import { TesseraClientError } from './client-error.js';
import type {
  Transport,
  TransportCallOptions,
  TransportMethod,
  TransportStreamOptions,
} from './transport.js';

/** Client certificates and trust roots for TLS; any field left out uses the system default. */
export interface TlsOptions {
  /** PEM trust roots; default: the system's. */
  readonly rootCerts?: Buffer | undefined;
  /** PEM client key and certificate chain, for mutual TLS. */
  readonly privateKey?: Buffer | undefined;
  readonly certChain?: Buffer | undefined;
}

/** Options of {@link createGrpcTransport}. */
export interface GrpcTransportOptions {
  /** `host:port` of the issuer or the session service. */
  readonly address: string;
  /**
   * `false` for plaintext (a service on localhost or inside a mesh that encrypts for you),
   * `true` for TLS with the system's roots, or the certificates to use. There is no default:
   * plaintext is a decision.
   */
  readonly tls: boolean | TlsOptions;
  /** grpc-js channel options; merged over keepalive and 4 MiB message limits. */
  readonly channelOptions?: ChannelOptions | undefined;
}

const MESSAGE_BYTES = 4 * 1024 * 1024;
/** The trailer that carries tessera's error reason. */
export const REASON_KEY = 'tessera-error-reason';

/**
 * The channel options of every connection the client opens: keepalive pings notice a dead peer
 * between calls, and messages up to 4 MiB each way; the caller's own options win.
 */
export function clientChannelOptions(overrides: ChannelOptions | undefined): ChannelOptions {
  return {
    'grpc.keepalive_time_ms': 30_000,
    'grpc.keepalive_timeout_ms': 10_000,
    'grpc.keepalive_permit_without_calls': 1,
    'grpc.max_receive_message_length': MESSAGE_BYTES,
    'grpc.max_send_message_length': MESSAGE_BYTES,
    ...overrides,
  };
}

/** grpc-js credentials of a `tls` option. */
export function channelCredentials(tls: boolean | TlsOptions): ChannelCredentials {
  if (tls === false) return credentials.createInsecure();
  if (tls === true) return credentials.createSsl();
  return credentials.createSsl(
    tls.rootCerts ?? null,
    tls.privateKey ?? null,
    tls.certChain ?? null,
  );
}

function toMetadata(fields: Readonly<Record<string, string>>): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(fields)) metadata.set(key, value);
  return metadata;
}

function isServiceError(error: unknown): error is ServiceError {
  return error instanceof Error && typeof (error as Partial<ServiceError>).code === 'number';
}

function toClientError(error: unknown, method: string): TesseraClientError {
  if (error instanceof TesseraClientError) return error;
  if (!isServiceError(error)) {
    return new TesseraClientError({
      grpcCode: status.UNKNOWN,
      message: error instanceof Error ? error.message : String(error),
      method,
      cause: error,
    });
  }
  const reason = error.metadata?.get(REASON_KEY)[0];
  return new TesseraClientError({
    grpcCode: error.code,
    message: error.details,
    method,
    reason: typeof reason === 'string' ? reason : undefined,
    cause: error,
  });
}

const passBytes = (bytes: Uint8Array): Buffer =>
  Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
const keepBytes = (bytes: Buffer): Uint8Array => bytes;

/**
 * One grpc-js channel to one address; each call is its own HTTP/2 stream on it. Keepalive
 * pings notice a dead peer between calls; grpc-js reconnects by itself.
 */
export function createGrpcTransport(options: GrpcTransportOptions): Transport {
  const client = new Client(
    options.address,
    channelCredentials(options.tls),
    clientChannelOptions(options.channelOptions),
  );
  return {
    unary(method: TransportMethod, request: Uint8Array, callOptions: TransportCallOptions) {
      const { signal } = callOptions;
      if (signal?.aborted) {
        return Promise.reject(
          new TesseraClientError({
            grpcCode: status.CANCELLED,
            message: 'aborted',
            method: method.path,
          }),
        );
      }
      return new Promise<Uint8Array>((resolve, reject) => {
        const onAbort = () => call.cancel();
        const call = client.makeUnaryRequest(
          method.path,
          passBytes,
          keepBytes,
          request,
          toMetadata(callOptions.metadata),
          { deadline: callOptions.deadline },
          (error, response) => {
            signal?.removeEventListener('abort', onAbort);
            if (error) reject(toClientError(error, method.path));
            else if (response === undefined)
              reject(
                new TesseraClientError({
                  grpcCode: status.INTERNAL,
                  message: 'no response message',
                  method: method.path,
                }),
              );
            else resolve(response);
          },
        );
        signal?.addEventListener('abort', onAbort, { once: true });
      });
    },
    async *serverStream(
      method: TransportMethod,
      request: Uint8Array,
      streamOptions: TransportStreamOptions,
    ) {
      const { signal } = streamOptions;
      const call = client.makeServerStreamRequest(
        method.path,
        passBytes,
        keepBytes,
        request,
        toMetadata(streamOptions.metadata),
        streamOptions.deadline === undefined ? {} : { deadline: streamOptions.deadline },
      );
      const onAbort = () => call.cancel();
      signal?.addEventListener('abort', onAbort, { once: true });
      try {
        for await (const message of call) yield message as Uint8Array;
      } catch (error) {
        // The caller's own abort ends the stream; it is not a failure of the call.
        if (signal?.aborted) return;
        throw toClientError(error, method.path);
      } finally {
        signal?.removeEventListener('abort', onAbort);
        call.cancel();
      }
    },
    close() {
      client.close();
    },
  };
}
