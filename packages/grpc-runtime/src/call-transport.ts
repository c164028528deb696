import { type ChannelCredentials, credentials as grpcCredentials } from '@grpc/grpc-js';
import type { Tracing } from '@tessera/tracing';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { type CallTransport, unaryTransport } from './caller.js';
import { createChannelOptions } from './client.js';
import { withTransportTracing } from './client-tracing.js';
import { measuredTransport } from './metrics/client-call-metrics.js';
import { StreamTransport } from './multiplex/stream-transport.js';

/** How a service reaches another: multiplexed streams (the default) or unary RPCs. */
export const TRANSPORT_KINDS = ['stream', 'unary'] as const;

/** One of {@link TRANSPORT_KINDS}. */
export type TransportKind = (typeof TRANSPORT_KINDS)[number];

/** Options of {@link createCallTransport}. */
export interface CallTransportOptions {
  readonly kind: TransportKind;
  /** `host:port`; for `stream`, a DNS name is resolved to every replica. */
  readonly target: string;
  /** Metadata of every call (or stream): the calling service's own credentials. */
  readonly metadata: Readonly<Record<string, string>>;
  /** Insecure when omitted. */
  readonly credentials?: ChannelCredentials;
  readonly logger?: Logger;
  /** Where each call is counted as `grpc_client_*` under its own method; none when omitted. */
  readonly metrics?: Registry;
  /** A client span per call made inside a trace, `traceparent` in its metadata; off when omitted. */
  readonly tracing?: Tracing;
}

/** The transport a service configured, with tessera's channel options either way. */
export function createCallTransport(options: CallTransportOptions): CallTransport {
  const bare = bareTransport(options);
  const measured = options.metrics === undefined ? bare : measuredTransport(bare, options.metrics);
  return options.tracing === undefined ? measured : withTransportTracing(measured, options.tracing);
}

function bareTransport(options: CallTransportOptions): CallTransport {
  const credentials = options.credentials ?? grpcCredentials.createInsecure();
  if (options.kind === 'unary') {
    return unaryTransport(options.target, credentials, createChannelOptions(), options.metadata);
  }
  return new StreamTransport({
    target: options.target,
    credentials,
    channelOptions: createChannelOptions(),
    metadata: options.metadata,
    ...(options.logger ? { logger: options.logger } : {}),
  });
}
