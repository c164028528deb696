/**
 * What carries a call. The client encodes requests and decodes responses itself, so a
 * transport moves bytes only: a method path in, message bytes in and out, a status on
 * failure. `createGrpcTransport` is one unary HTTP/2 stream per call; a transport that
 * multiplexes many calls over one long-lived stream implements the same interface and is
 * passed as `transport` to `createTesseraClient`.
 */
export interface Transport {
  /**
   * One request, one response. Rejects with a {@link TesseraClientError} whose `grpcCode` is
   * the call's status (the client decides on retries from it).
   */
  unary(
    method: TransportMethod,
    request: Uint8Array,
    options: TransportCallOptions,
  ): Promise<Uint8Array>;
  /**
   * One request, a stream of responses, until the server ends it, the deadline passes or the
   * signal aborts. Fails with a {@link TesseraClientError} like `unary`.
   */
  serverStream(
    method: TransportMethod,
    request: Uint8Array,
    options: TransportStreamOptions,
  ): AsyncIterable<Uint8Array>;
  /** Closes the connection(s); calls in flight fail with CANCELLED or UNAVAILABLE. */
  close(): void;
}

/** The method a transport is asked to call. */
export interface TransportMethod {
  /** gRPC path, `/tessera.issuer.v1.IssuerService/Validate`. */
  readonly path: string;
  /** Whether the RPC may run twice with the same effect (for transports that care). */
  readonly idempotent: boolean;
}

/** Per-call settings of a unary call. */
export interface TransportCallOptions {
  /** Epoch milliseconds after which the call fails with DEADLINE_EXCEEDED. */
  readonly deadline: number;
  /** Request metadata (the API key is `authorization`). */
  readonly metadata: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal | undefined;
}

/** Per-call settings of a server-stream: long-lived, so the deadline is optional. */
export interface TransportStreamOptions {
  readonly deadline?: number | undefined;
  readonly metadata: Readonly<Record<string, string>>;
  readonly signal?: AbortSignal | undefined;
}
