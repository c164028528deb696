import {
  type CallOptions,
  type ChannelOptions,
  type ClientUnaryCall,
  Metadata,
  type ServiceError,
} from '@grpc/grpc-js';
import { clientChannelOptions } from '@tessera/client';

/** A generated client method in its four-argument form, bound to its client. */
export type UnaryMethod<Req, Res> = (
  request: Req,
  metadata: Metadata,
  options: Partial<CallOptions>,
  callback: (error: ServiceError | null, response: Res) => void,
) => ClientUnaryCall;

/** Options of {@link unaryCall}. */
export interface UnaryCallOptions {
  /** Time budget of this call; every call has one, so a stuck peer never hangs a caller. */
  readonly deadlineMs: number;
  /** Epoch ms the call must not outlive, e.g. `ctx.deadline` of the call being served. */
  readonly parentDeadline?: number | undefined;
  readonly metadata?: Metadata;
  /** Cancels the call (the promise rejects with CANCELLED). */
  readonly signal?: AbortSignal;
}

/**
 * Options for long-lived channels between tessera services: the same as every channel of
 * `@tessera/client` (keepalive pings so a dead peer is noticed between calls, explicit 4 MiB
 * message limits both ways). `overrides` win.
 */
export function createChannelOptions(overrides: ChannelOptions = {}): ChannelOptions {
  return clientChannelOptions(overrides);
}

/**
 * Calls a unary method and resolves with its response, always with a deadline: now +
 * `deadlineMs`, or `parentDeadline` when that is sooner. Rejects with the grpc-js
 * ServiceError (see `readErrorDetails`).
 *
 * @example unaryCall(client.vend.bind(client), request, { deadlineMs: 2_000 })
 */
export function unaryCall<Req, Res>(
  method: UnaryMethod<Req, Res>,
  request: Req,
  options: UnaryCallOptions,
): Promise<Res> {
  const { signal } = options;
  if (signal?.aborted) return Promise.reject(signal.reason);
  let deadline = Date.now() + options.deadlineMs;
  if (options.parentDeadline !== undefined) deadline = Math.min(deadline, options.parentDeadline);
  return new Promise<Res>((resolve, reject) => {
    const onAbort = () => call.cancel();
    const call = method(
      request,
      options.metadata ?? new Metadata(),
      { deadline },
      (error, response) => {
        signal?.removeEventListener('abort', onAbort);
        if (error) reject(error);
        else resolve(response);
      },
    );
    signal?.addEventListener('abort', onAbort, { once: true });
  });
}

/** Metadata carrying an API key the way tessera services read it (`authorization`). */
export function credentialsMetadata(apiKey: string): Metadata {
  const metadata = new Metadata();
  metadata.set('authorization', apiKey);
  return metadata;
}
