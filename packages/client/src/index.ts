/**
 * A promise-based client of tessera's gRPC services for internal microservices: typed calls
 * with deadlines, retries of idempotent RPCs only, the API key as an option, TLS or
 * plaintext, and a pluggable transport. See this package's README.
 */
export { type StatusName, statusName, TesseraClientError } from './client-error.js';
export {
  type CallOptions,
  type ClientOptions,
  type Closable,
  createIssuerClient,
  createSessionClient,
  type IssuerClient,
  type ServiceClient,
  type SessionClient,
} from './create-client.js';
export {
  clientChannelOptions,
  createGrpcTransport,
  type GrpcTransportOptions,
  type TlsOptions,
} from './grpc-transport.js';
export {
  ISSUER_METHODS,
  type MethodPolicies,
  type MethodPolicy,
  SESSION_METHODS,
} from './methods.js';
export type { MultiplexErrors } from './multiplex/multiplex-errors.js';
export { reasonOfStatus } from './multiplex/multiplex-errors.js';
export {
  type MultiplexCallOptions,
  type MultiplexLogger,
  StreamMultiplexer,
  type StreamMultiplexerOptions,
} from './multiplex/stream-multiplexer.js';
export type { RetryOptions } from './retry.js';
export { createStreamTransport, type StreamTransportOptions } from './stream-transport.js';
export type {
  Transport,
  TransportCallOptions,
  TransportMethod,
  TransportStreamOptions,
} from './transport.js';
