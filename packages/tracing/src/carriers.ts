/**
 * Where trace context travels: HTTP request headers, gRPC metadata copied into a record, or
 * the per-call metadata map of a stream envelope. Keys are lower-case header names
 * (`traceparent`, `tracestate`, `baggage`).
 */
export type HeaderSource = Readonly<Record<string, string | readonly string[] | undefined>>;

/** A plain record the trace context is written into (`traceparent`, …). */
export type HeaderSink = Record<string, string>;
