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

/** `/tessera.bench.v1.EchoService/Echo`: replies with the request's bytes. */
export const EchoServiceService = {
  echo: {
    path: '/tessera.bench.v1.EchoService/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
} as const;

/** The server side of the echo. */
export const echoHandlers: { echo: handleUnaryCall<Buffer, Buffer> } = {
  echo: (call, callback) => callback(null, call.request),
};

/** A client of the echo, shaped like the ts-proto clients so `unaryCall` drives both alike. */
export interface EchoServiceClient extends Client {
  echo(
    request: Buffer,
    metadata: Metadata,
    options: Partial<CallOptions>,
    callback: (error: ServiceError | null, response: Buffer) => void,
  ): ClientUnaryCall;
}

/** Constructor of {@link EchoServiceClient}. */
export const EchoServiceClient = makeGenericClientConstructor(
  EchoServiceService,
  'tessera.bench.v1.EchoService',
) as unknown as new (
  address: string,
  credentials: ChannelCredentials,
  options?: Partial<ClientOptions>,
) => EchoServiceClient;
