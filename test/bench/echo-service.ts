/**
 * The gRPC echo the bench measures the transport limit with: one unary method whose bytes
 * pass through untouched (identity serializers), so a call costs only what grpc-js and
 * HTTP/2 cost.
 */
import {
  type CallOptions,
  type ChannelCredentials,
  type Client,
  type ClientOptions,
  type ClientUnaryCall,
  type handleUnaryCall,
  type Metadata,
  makeGenericClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';

const identity = (bytes: Buffer): Buffer => bytes;

/** A unary method at `path` whose bytes pass through untouched (identity serializers). */
export function bytesMethod(path: string) {
  return {
    path,
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  } as const;
}

/** A bytes method's call on a client, shaped like the ts-proto clients so `unaryCall` drives both alike. */
export type BytesUnaryCall = (
  request: Buffer,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Buffer) => void,
) => ClientUnaryCall;

/** A client class for `service`, every method of which is a {@link bytesMethod}. */
export function bytesClient<M extends string>(
  service: Readonly<Record<M, ReturnType<typeof bytesMethod>>>,
  serviceName: string,
): new (
  address: string,
  credentials: ChannelCredentials,
  options?: Partial<ClientOptions>,
) => Client & Readonly<Record<M, BytesUnaryCall>> {
  return makeGenericClientConstructor(service, serviceName) as unknown as new (
    address: string,
    credentials: ChannelCredentials,
    options?: Partial<ClientOptions>,
  ) => Client & Readonly<Record<M, BytesUnaryCall>>;
}

/** `/tessera.bench.v1.EchoService/Echo`: replies with the request's bytes. */
export const EchoServiceService = {
  echo: bytesMethod('/tessera.bench.v1.EchoService/Echo'),
} as const;

/** The server side of the echo. */
export const echoHandlers: { echo: handleUnaryCall<Buffer, Buffer> } = {
  echo: (call, callback) => callback(null, call.request),
};

/** A client of the echo. */
export type EchoServiceClient = InstanceType<typeof EchoServiceClient>;

/** Constructor of {@link EchoServiceClient}. */
export const EchoServiceClient = bytesClient(EchoServiceService, 'tessera.bench.v1.EchoService');
