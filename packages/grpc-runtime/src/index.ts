/**
 * Everything a tessera gRPC service needs around its handlers, so that a service holds only
 * composition, handlers and domain code:
 * - async handlers typed from ts-proto definitions, adapted to grpc-js in one place;
 * - one interceptor chain per call (a server span when tracing is on, shutdown gate, deadline
 *   guard, logging, metrics, error mapping, then the service's own interceptors);
 * - one mapping from TesseraError to gRPC status with the google.rpc rich error model;
 * - a server with health, reflection, graceful shutdown and a `/metrics` endpoint, with gRPC
 *   metrics named as go-grpc-prometheus names them (server side, and `clientCallMetrics` for
 *   the calls a process makes);
 * - client helpers: channel options, deadline-bound unary calls, credentials, error details,
 *   and client spans with `traceparent` in the metadata when tracing is on;
 * - the multiplexed stream transport (server side with `multiplex`, client side
 *   `StreamTransport`) and a typed `Caller` over either transport.
 */
export { adaptService } from './adapt-service.js';
export { type CallContext, CallKey, type CallKind, type CallValues } from './call-context.js';
export {
  type CallTransportOptions,
  createCallTransport,
  TRANSPORT_KINDS,
  type TransportKind,
} from './call-transport.js';
export {
  type Caller,
  type CallerCallOptions,
  type CallerOptions,
  type CallTransport,
  clientTransport,
  createCaller,
  type TransportCallOptions,
  unaryTransport,
} from './caller.js';
export {
  createChannelOptions,
  credentialsMetadata,
  type UnaryCallOptions,
  type UnaryMethod,
  unaryCall,
} from './client.js';
export { tracingClientInterceptor, withClientTracing } from './client-tracing.js';
export { type PresentedCredentials, readCredentials } from './credentials.js';
export { type RpcErrorDetails, readErrorDetails } from './error-details.js';
export { INTERNAL_ERROR_MESSAGE, STATUS_BY_ERROR_CODE, toServiceError } from './error-mapping.js';
export type {
  AsyncServiceHandlers,
  MethodHandler,
  RequestOf,
  ResponseOf,
  ServerStreamHandler,
  UnaryHandler,
} from './handler-types.js';
export type { Chain, Interceptor, Next } from './interceptor.js';
export { clientCallMetrics, measuredTransport } from './metrics/client-call-metrics.js';
export {
  collectProcessMetrics,
  type MetricsServer,
  type MetricsServerOptions,
  startMetricsServer,
} from './metrics-server.js';
export {
  DEFAULT_MAX_IN_FLIGHT_PER_STREAM,
  type MultiplexServerOptions,
} from './multiplex/multiplex-server.js';
export { StreamTransport, type StreamTransportOptions } from './multiplex/stream-transport.js';
export { type CallPipeline, type CallPipelineOptions, createCallPipeline } from './pipeline.js';
export type { ReflectionOptions } from './reflection.js';
export {
  createGrpcServer,
  type GrpcServerOptions,
  type GrpcServerRuntime,
  type ShutdownOptions,
} from './server.js';
export {
  registerService,
  type ServiceRegistration,
  serviceNameOf,
  type UnaryMethodEntry,
} from './service-registration.js';
export {
  installSignalHandlers,
  onStopRequest,
  type SignalHandlerOptions,
  type SignalSource,
  STOP_SIGNALS,
} from './signals.js';
export { ERROR_DOMAIN, ERROR_REASON_KEY, STATUS_DETAILS_KEY } from './status-details.js';
