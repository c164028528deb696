import {
  type Client,
  type ClientDuplexStream,
  Metadata,
  status as Status,
  type StatusObject,
} from '@grpc/grpc-js';
import { transportV1 } from '@tessera/contracts';
import { type MultiplexErrors, reasonOfStatus } from './multiplex-errors.js';
import type { CallCarrier, PendingCall } from './pending-call.js';

/** Where a channel is in its life. */
export type ChannelState = 'connecting' | 'open' | 'draining' | 'closed';

/** What a channel tells the multiplexer that owns it. */
export interface ChannelEvents<E> {
  /** The server accepted the stream. */
  opened(channel: StreamChannel<E>): void;
  /** The server asked for no new calls (it is stopping). */
  drained(channel: StreamChannel<E>): void;
  /** A call finished, so the channel has room for another. */
  freed(channel: StreamChannel<E>): void;
  /**
   * The stream ended. `error` is the status it ended with; `wasOpen` tells a lost stream
   * from one that was never accepted (refused credentials, server down).
   */
  closed(channel: StreamChannel<E>, error: StatusObject | undefined, wasOpen: boolean): void;
  /**
   * Calls the server never started: a stream ended cleanly (after Drain, or by us) answers
   * every call it started first, so what is left crossed the end and may go elsewhere.
   */
  unstarted(calls: readonly PendingCall<E>[]): void;
}

const EXCHANGE_PATH = transportV1.MultiplexServiceService.exchange.path;
const serializeRequest = (value: transportV1.ExchangeRequest): Buffer =>
  Buffer.from(transportV1.ExchangeRequest.encode(value).finish());
const deserializeResponse = (bytes: Buffer): transportV1.ExchangeResponse =>
  transportV1.ExchangeResponse.decode(bytes);

/**
 * One Exchange stream to one backend address. It maps request ids to pending calls, writes
 * Call and Cancel envelopes, and hands every Result to its call. It never reconnects itself:
 * the multiplexer decides when to open a new one.
 */
export class StreamChannel<E> implements CallCarrier {
  readonly address: string;
  #state: ChannelState = 'connecting';
  /** Set when the address left the DNS answer: finish what it carries, then close. */
  retiring = false;
  readonly #pending = new Map<number, PendingCall<E>>();
  readonly #stream: ClientDuplexStream<transportV1.ExchangeRequest, transportV1.ExchangeResponse>;
  readonly #events: ChannelEvents<E>;
  readonly #errors: MultiplexErrors<E>;
  #nextId = 1;

  constructor(
    client: Client,
    address: string,
    metadata: Metadata,
    events: ChannelEvents<E>,
    errors: MultiplexErrors<E>,
  ) {
    this.address = address;
    this.#events = events;
    this.#errors = errors;
    this.#stream = client.makeBidiStreamRequest(
      EXCHANGE_PATH,
      serializeRequest,
      deserializeResponse,
      metadata,
      {},
    );
    this.#stream.on('metadata', () => {
      if (this.#state !== 'connecting') return;
      this.#state = 'open';
      this.#events.opened(this);
    });
    this.#stream.on('data', (message: transportV1.ExchangeResponse) => this.#receive(message));
    // 'status' always comes, once; 'error' repeats it for failures and must be listened to.
    this.#stream.on('error', () => {});
    this.#stream.on('status', (status: StatusObject) =>
      this.#close(status.code === Status.OK ? undefined : status),
    );
  }

  get state(): ChannelState {
    return this.#state;
  }

  /** Calls sent and not yet answered. */
  get inFlight(): number {
    return this.#pending.size;
  }

  /** Sends a call; the channel must be open. */
  start(call: PendingCall<E>): void {
    let id = this.#nextId;
    while (this.#pending.has(id)) id = (id + 1) >>> 0 || 1;
    this.#nextId = (id + 1) >>> 0 || 1;
    this.#pending.set(id, call);
    call.sentOn(this, id);
    call.onSettled = () => {
      if (this.#pending.get(id) === call) this.#pending.delete(id);
      this.#events.freed(this);
      if (this.retiring && this.#pending.size === 0) this.end();
    };
    this.#stream.write({
      kind: {
        $case: 'call',
        value: {
          requestId: id,
          method: call.method,
          timeoutMs: call.timeLeftMs(),
          metadata: call.metadata,
          request: Buffer.from(
            call.request.buffer,
            call.request.byteOffset,
            call.request.byteLength,
          ),
        },
      },
    });
  }

  cancel(requestId: number): void {
    if (this.#state === 'closed') return;
    this.#stream.write({ kind: { $case: 'cancel', value: { requestId } } });
  }

  /** Half-closes: the server finishes what it carries and ends the stream. */
  end(): void {
    if (this.#state === 'closed') return;
    this.#state = 'draining';
    this.#stream.end();
  }

  /** Cancels the stream; calls still pending reject with UNAVAILABLE. */
  destroy(): void {
    this.#stream.cancel();
  }

  #receive(message: transportV1.ExchangeResponse): void {
    const kind = message.kind;
    if (kind?.$case === 'result') {
      const { requestId, outcome } = kind.value;
      const call = this.#pending.get(requestId);
      if (call === undefined) return;
      if (outcome?.$case === 'error' && reasonOfStatus(outcome.value) === 'SHUTTING_DOWN') {
        // The server's shutdown gate refused it before any work (it crossed the Drain):
        // safe to send elsewhere, whatever the method.
        this.#pending.delete(requestId);
        call.onSettled = undefined;
        this.#events.freed(this);
        this.#events.unstarted([call]);
        return;
      }
      call.complete(outcome);
    } else if (kind?.$case === 'drain' && this.#state !== 'closed') {
      this.#state = 'draining';
      this.#events.drained(this);
    }
  }

  #close(error: StatusObject | undefined): void {
    if (this.#state === 'closed') return;
    const wasOpen = this.#state !== 'connecting';
    this.#state = 'closed';
    const calls = [...this.#pending.values()];
    this.#pending.clear();
    if (error === undefined) {
      for (const call of calls) call.onSettled = undefined;
      this.#events.unstarted(calls);
    } else {
      for (const call of calls) {
        call.fail(this.#errors.local(Status.UNAVAILABLE, `the stream to ${this.address} ended`));
      }
    }
    this.#events.closed(this, error, wasOpen);
  }
}

/** Metadata of a new stream, from a plain record. */
export function streamMetadata(entries: Readonly<Record<string, string>>): Metadata {
  const metadata = new Metadata();
  for (const [key, value] of Object.entries(entries)) metadata.set(key, value);
  return metadata;
}
