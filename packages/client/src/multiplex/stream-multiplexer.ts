import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import {
  type ChannelCredentials,
  type ChannelOptions,
  Client,
  type Metadata,
  status as Status,
  type StatusObject,
} from '@grpc/grpc-js';
import { type BackoffOptions, backoffDelay } from '@tessera/backoff';
import type { MultiplexErrors } from './multiplex-errors.js';
import { PendingCall } from './pending-call.js';
import { type ChannelEvents, StreamChannel, streamMetadata } from './stream-channel.js';

/** Where the multiplexer reports reconnects and drains; a pino logger fits. */
export interface MultiplexLogger {
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
}

/** Per-call settings of {@link StreamMultiplexer.call}. */
export interface MultiplexCallOptions {
  /** Epoch milliseconds after which the call fails with DEADLINE_EXCEEDED. */
  readonly deadline: number;
  /** Entries added to the stream's metadata for this call only. */
  readonly metadata?: Readonly<Record<string, string>> | undefined;
  readonly signal?: AbortSignal | undefined;
}

/** Options of {@link StreamMultiplexer}. */
export interface StreamMultiplexerOptions<E> {
  /** `host:port`. A DNS name is resolved to every address (a headless Service: every pod). */
  readonly target: string;
  readonly credentials: ChannelCredentials;
  /** grpc-js channel options of every connection (keepalive, message sizes). */
  readonly channelOptions?: ChannelOptions;
  /** Metadata of every stream, checked when it opens (the service's own API key). */
  readonly metadata?: Readonly<Record<string, string>>;
  /** Streams per backend address; 2 by default. */
  readonly streamsPerAddress?: number;
  /** Calls sent on one stream and not yet answered; the server's bound (256) by default. */
  readonly maxInFlightPerStream?: number;
  /** Calls waiting for a stream (none open, or all full); beyond, calls fail. 1,024 by default. */
  readonly maxQueued?: number;
  /** How often the DNS name is resolved again; 30 s by default. */
  readonly resolveIntervalMs?: number;
  /** Reconnect delays (the shared `@tessera/backoff`); 100 ms doubling to 5 s, jittered, by default. */
  readonly backoff?: BackoffOptions;
  /** Resolves a host name to addresses; `dns.lookup` with `all` by default. */
  readonly resolve?: (host: string) => Promise<readonly string[]>;
  readonly logger?: MultiplexLogger | undefined;
  /** How failures are shaped for the caller. */
  readonly errors: MultiplexErrors<E>;
}

const DEFAULTS = {
  streamsPerAddress: 2,
  maxInFlightPerStream: 256,
  maxQueued: 1024,
  resolveIntervalMs: 30_000,
  backoff: { initialMs: 100, maxMs: 5_000 },
} as const;

/** One backend address and its streams. */
interface Endpoint<E> {
  readonly address: string;
  readonly client: Client;
  readonly slots: (StreamChannel<E> | undefined)[];
  readonly attempts: number[];
  readonly timers: (NodeJS.Timeout | undefined)[];
  retired: boolean;
}

/**
 * Unary calls, as bytes, over long-lived MultiplexService streams to every replica of a
 * backend. Picks the open stream with the fewest unanswered calls, queues (boundedly) while
 * none has room, reconnects each stream with capped jittered backoff, moves new calls off a
 * stream whose server sent Drain, and follows the DNS answer as replicas come and go. It
 * neither encodes nor decodes messages: the caller does, and says through `errors` what its
 * failures look like.
 */
export class StreamMultiplexer<E> {
  readonly #options: StreamMultiplexerOptions<E>;
  readonly #errors: MultiplexErrors<E>;
  readonly #host: string;
  readonly #port: string;
  readonly #metadata: Metadata;
  readonly #endpoints = new Map<string, Endpoint<E>>();
  readonly #queue = new Set<PendingCall<E>>();
  readonly #streamsPerAddress: number;
  readonly #maxInFlight: number;
  readonly #maxQueued: number;
  readonly #backoff: BackoffOptions;
  #resolveTimer: NodeJS.Timeout | undefined;
  #resolving: Promise<void> | undefined;
  #closed = false;
  readonly #events: ChannelEvents<E>;

  constructor(options: StreamMultiplexerOptions<E>) {
    this.#options = options;
    this.#errors = options.errors;
    const colon = options.target.lastIndexOf(':');
    if (colon <= 0) throw new Error(`stream transport target must be host:port: ${options.target}`);
    this.#host = options.target.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
    this.#port = options.target.slice(colon + 1);
    this.#metadata = streamMetadata(options.metadata ?? {});
    this.#streamsPerAddress = options.streamsPerAddress ?? DEFAULTS.streamsPerAddress;
    this.#maxInFlight = options.maxInFlightPerStream ?? DEFAULTS.maxInFlightPerStream;
    this.#maxQueued = options.maxQueued ?? DEFAULTS.maxQueued;
    this.#backoff = options.backoff ?? DEFAULTS.backoff;
    this.#events = {
      opened: (channel) => {
        const endpoint = this.#endpoints.get(channel.address);
        const slot = endpoint?.slots.indexOf(channel) ?? -1;
        if (endpoint !== undefined && slot !== -1) endpoint.attempts[slot] = 0;
        this.#flush();
      },
      drained: (channel) => {
        this.#options.logger?.info({ address: channel.address }, 'backend asked to drain');
        // The replica is stopping; the DNS answer may already know who replaces it.
        void this.#refresh();
      },
      freed: () => this.#flush(),
      closed: (channel, error, wasOpen) => this.#onClosed(channel, error, wasOpen),
      unstarted: (calls) => {
        for (const call of calls) this.#dispatch(call);
      },
    };
    void this.#refresh();
    const interval = options.resolveIntervalMs ?? DEFAULTS.resolveIntervalMs;
    this.#resolveTimer = setInterval(() => void this.#refresh(), interval);
    this.#resolveTimer.unref();
  }

  /** Sends one call's request bytes; resolves with its response bytes. */
  call(method: string, request: Uint8Array, options: MultiplexCallOptions): Promise<Uint8Array> {
    if (this.#closed) {
      return Promise.reject(this.#errors.local(Status.UNAVAILABLE, 'the transport is closed'));
    }
    if (options.signal?.aborted) {
      return Promise.reject(this.#errors.local(Status.CANCELLED, 'Cancelled on client'));
    }
    return new Promise<Uint8Array>((resolve, reject) => {
      const pending = new PendingCall<E>({
        method,
        request,
        deadline: options.deadline,
        metadata: options.metadata,
        errors: this.#errors,
        resolve,
        reject,
        signal: options.signal,
      });
      if (!pending.settled) this.#dispatch(pending);
    });
  }

  /** Sends a call on the best stream, or queues it while none has room. */
  #dispatch(pending: PendingCall<E>): void {
    if (pending.settled) return;
    const channel = this.#pick();
    if (channel !== undefined) {
      channel.start(pending);
    } else if (this.#queue.size >= this.#maxQueued || this.#closed) {
      pending.fail(
        this.#errors.local(
          Status.UNAVAILABLE,
          `no stream to ${this.#options.target} has room and ${this.#maxQueued} calls are waiting`,
        ),
      );
    } else {
      this.#queue.add(pending);
      pending.onSettled = () => this.#queue.delete(pending);
    }
  }

  /** Streams by state, for tests and diagnostics. */
  get streams(): readonly { address: string; state: string; inFlight: number }[] {
    return [...this.#endpoints.values()].flatMap((endpoint) =>
      endpoint.slots.flatMap((channel) =>
        channel === undefined
          ? []
          : [{ address: endpoint.address, state: channel.state, inFlight: channel.inFlight }],
      ),
    );
  }

  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#resolveTimer);
    for (const call of [...this.#queue]) {
      call.fail(this.#errors.local(Status.UNAVAILABLE, 'the transport is closed'));
    }
    for (const endpoint of this.#endpoints.values()) this.#retire(endpoint, true);
    this.#endpoints.clear();
  }

  /** The open stream with the fewest unanswered calls that still has room. */
  #pick(): StreamChannel<E> | undefined {
    let best: StreamChannel<E> | undefined;
    for (const endpoint of this.#endpoints.values()) {
      if (endpoint.retired) continue;
      for (const channel of endpoint.slots) {
        if (channel === undefined || channel.state !== 'open' || channel.retiring) continue;
        if (channel.inFlight >= this.#maxInFlight) continue;
        if (best === undefined || channel.inFlight < best.inFlight) best = channel;
      }
    }
    return best;
  }

  #flush(): void {
    for (const call of this.#queue) {
      const channel = this.#pick();
      if (channel === undefined) return;
      this.#queue.delete(call);
      call.onSettled = undefined;
      channel.start(call);
    }
  }

  /** Resolves the target again and adds or retires endpoints to match. */
  #refresh(): Promise<void> {
    this.#resolving ??= this.#resolveAddresses()
      .then(
        (addresses) => this.#apply(addresses),
        (error: unknown) => {
          this.#options.logger?.warn(
            { err: error, target: this.#options.target },
            'backend name did not resolve',
          );
          if (this.#endpoints.size === 0) {
            this.#failQueue(
              this.#errors.local(Status.UNAVAILABLE, `${this.#options.target} did not resolve`),
            );
          }
        },
      )
      .finally(() => {
        this.#resolving = undefined;
      });
    return this.#resolving;
  }

  async #resolveAddresses(): Promise<readonly string[]> {
    if (isIP(this.#host) !== 0) return [this.#host];
    if (this.#options.resolve !== undefined) return this.#options.resolve(this.#host);
    const answers = await lookup(this.#host, { all: true });
    return answers.map((answer) => answer.address);
  }

  #apply(addresses: readonly string[]): void {
    if (this.#closed) return;
    const wanted = new Set(addresses);
    if (wanted.size === 0) return;
    for (const [address, endpoint] of this.#endpoints) {
      if (!wanted.has(address)) {
        this.#options.logger?.info({ address }, 'backend address left the DNS answer');
        this.#retire(endpoint, false);
        this.#endpoints.delete(address);
      }
    }
    for (const address of wanted) {
      if (this.#endpoints.has(address)) continue;
      const hostPort =
        isIP(address) === 6 ? `[${address}]:${this.#port}` : `${address}:${this.#port}`;
      const endpoint: Endpoint<E> = {
        address,
        // A connection of its own per endpoint, not grpc-js's shared pool, so a drained or
        // retired replica's connection is closed with it.
        client: new Client(hostPort, this.#options.credentials, {
          ...this.#options.channelOptions,
          'grpc.use_local_subchannel_pool': 1,
        }),
        slots: Array.from({ length: this.#streamsPerAddress }, () => undefined),
        attempts: Array.from({ length: this.#streamsPerAddress }, () => 0),
        timers: Array.from({ length: this.#streamsPerAddress }, () => undefined),
        retired: false,
      };
      this.#endpoints.set(address, endpoint);
      for (let slot = 0; slot < this.#streamsPerAddress; slot++) this.#open(endpoint, slot);
    }
  }

  #open(endpoint: Endpoint<E>, slot: number): void {
    endpoint.timers[slot] = undefined;
    if (this.#closed || endpoint.retired) return;
    endpoint.slots[slot] = new StreamChannel(
      endpoint.client,
      endpoint.address,
      this.#metadata,
      this.#events,
      this.#errors,
    );
  }

  #onClosed(channel: StreamChannel<E>, error: StatusObject | undefined, wasOpen: boolean): void {
    const endpoint = this.#endpoints.get(channel.address);
    const slot = endpoint?.slots.indexOf(channel) ?? -1;
    if (endpoint === undefined || slot === -1 || endpoint.retired || this.#closed) return;
    endpoint.slots[slot] = undefined;
    if (error !== undefined && !wasOpen) {
      this.#options.logger?.warn(
        { address: channel.address, code: Status[error.code], details: error.details },
        'backend stream refused',
      );
      // Like a unary call to an unreachable backend: fail fast rather than wait out the
      // deadline, unless another stream can still take the queued calls.
      if (!this.#anyUsable()) {
        this.#failQueue(this.#errors.refused(error));
      }
    }
    const attempt = endpoint.attempts[slot] ?? 0;
    endpoint.attempts[slot] = attempt + 1;
    // A stream that ended after serving (drain, idle end) comes back soon; a refused one waits longer each time.
    const delay = backoffDelay(wasOpen ? 1 : attempt + 1, this.#backoff);
    const timer = setTimeout(() => this.#open(endpoint, slot), delay);
    timer.unref();
    endpoint.timers[slot] = timer;
  }

  /** Whether some stream is open or still connecting. */
  #anyUsable(): boolean {
    for (const endpoint of this.#endpoints.values()) {
      for (const channel of endpoint.slots) {
        if (channel !== undefined && (channel.state === 'open' || channel.state === 'connecting')) {
          return true;
        }
      }
    }
    return false;
  }

  #failQueue(error: E): void {
    for (const call of [...this.#queue]) call.fail(error);
  }

  /** Stops using an endpoint: at once (`now`), or once its streams have answered what they carry. */
  #retire(endpoint: Endpoint<E>, now: boolean): void {
    endpoint.retired = true;
    for (const timer of endpoint.timers) clearTimeout(timer);
    for (const channel of endpoint.slots) {
      if (channel === undefined) continue;
      if (now) channel.destroy();
      else {
        channel.retiring = true;
        if (channel.inFlight === 0) channel.end();
      }
    }
    // grpc-js lets calls already running on a closed client finish.
    endpoint.client.close();
  }
}
