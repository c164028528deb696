import { randomUUID } from 'node:crypto';
import type { Clock } from '@tessera/clock';
import { invalidArgument, TesseraError } from '@tessera/errors';
import { Cluster } from 'ioredis';
import { z } from 'zod';
import { checkUserBound, revocationLimitReached } from '../revocation-limit.js';
import {
  type AppendLimits,
  type AppendOutcome,
  isUserWide,
  type LogPosition,
  type Revocation,
  type RevocationLog,
  type RevocationSnapshot,
  type SequencedRevocation,
} from '../revocation-log.js';
import type { Closable } from '../session-store.js';
import {
  bindScript,
  closeRedisClient,
  connectRedisClient,
  DEFAULT_COMMAND_TIMEOUT_MS,
  type RedisClient,
  type RedisConnectionOptions,
  type ScriptCall,
} from './redis-client.js';
import { storeDeadlineMs, withDeadline } from './redis-deadline.js';
import { deadlineError, parseReply, toStoreError } from './redis-errors.js';
import { REVOCATION_LOG_SCRIPTS, type RevocationLogScriptName } from './revocation-scripts.js';

/** Entries the stream keeps by default for readers that resume (older ones get a snapshot). */
export const DEFAULT_REVOCATION_LOG_CAPACITY = 10_000;
/** The longest blocking read by default; a longer `blockMs` is cut to it. */
export const DEFAULT_MAX_BLOCK_MS = 60_000;
/**
 * The log's default name: its keys are `{revocations}:seq`, `:stream`, `:live`, `:epoch` and
 * one `:live:<tenantId>` per tenant.
 */
export const DEFAULT_REVOCATION_LOG_NAME = 'revocations';
/** Entries one `waitAfter` returns at most (as the memory log does). */
const WAIT_BATCH = 1000;
/** Live-set members one ZSCAN step of a snapshot asks for. */
const SNAPSHOT_BATCH = 2000;
/** Entries one `readAfter` returns at most, whatever its limit, so one reply stays bounded. */
const MAX_READ = 10_000;

/** What the Redis revocation log needs besides a client. */
export interface RedisRevocationLogSettings {
  readonly clock: Clock;
  /**
   * Entries the stream keeps at least (it is trimmed approximately, a stream node at a time,
   * so it may hold somewhat more). Default 10 000.
   */
  readonly capacity?: number;
  /**
   * The log's name, which is its hash tag: every key is `{<name>}:…`, so the whole log is
   * one Cluster slot and append is one single-slot script. Default `revocations`; other names
   * keep logs apart on one Redis (tests).
   */
  readonly name?: string;
  /** The command client's timeout; each call gets a deadline just above it. Default 1000 ms. */
  readonly commandTimeoutMs?: number;
  /** The longest blocking read; longer waits are cut to it. Default 60 000 ms. */
  readonly maxBlockMs?: number;
  /** Whether `close()` closes the command client (true when the log created it). */
  readonly ownsClient?: boolean;
  /** Connection errors of the blocking connections (they reconnect or are replaced). */
  readonly onConnectionError?: (error: Error) => void;
}

/** Options of `createRedisRevocationLog`. */
export interface RedisRevocationLogOptions {
  /** Standalone URL, Sentinel or Cluster. */
  readonly redis: RedisConnectionOptions;
  readonly clock: Clock;
  /** Default 10 000. */
  readonly capacity?: number;
  /** Default `revocations`. */
  readonly name?: string;
  /** Default 1000 ms. */
  readonly commandTimeoutMs?: number;
  /** Default 2000 ms. */
  readonly connectTimeoutMs?: number;
  /** How long creation waits for the first connection. Default 5000 ms. */
  readonly readyTimeoutMs?: number;
  /** Default 60 000 ms. */
  readonly maxBlockMs?: number;
  /** Connection errors while the clients reconnect by themselves (for logs). */
  readonly onConnectionError?: (error: Error) => void;
}

const sequenceText = z.string().regex(/^\d+$/);
/** A revocation as stored: [tenantId, sessionId, userId, applicationId, notBefore, expiresAt]. */
const encodedRevocation = z.tuple([
  z.string(),
  z.string(),
  z.string(),
  z.string(),
  z.number(),
  z.number(),
]);
const streamEntry = z.tuple([z.string(), z.array(z.string())]);
const zscanReply = z.tuple([z.string(), z.array(z.string())]);
const readReply = z.tuple([sequenceText, z.string(), z.array(streamEntry)]);
const appendReply = z.union([
  z.tuple([z.literal('ok'), sequenceText, z.string(), z.enum(['1', ''])]),
  z.tuple([z.literal('limit')]),
]);
const xreadReply = z.array(z.tuple([z.string(), z.array(streamEntry)])).nullable();

/** What `waitAfter` resolves with when its signal (or `close()`) ends the wait. */
const ABORTED = Symbol('aborted');

/**
 * The production revocation log. Its keys share one hash tag (`{revocations}` by default),
 * so every script is single-slot and runs unchanged on Redis Cluster:
 * - `:seq`    the latest sequence number;
 * - `:stream` a stream whose entry ids are `<sequence>-0`, trimmed to about `capacity`, so
 *             readers resume by id and notice trimming when `after + 1` is gone;
 * - `:live`   a sorted set of the entries by `expiresAt`, for snapshots; each append drops
 *             the ones past expiry by the injected clock;
 * - `:live:<tenantId>` the same per tenant, to count a tenant's live entries against its limit;
 * - `:user:<n>:<tenantId>:<userId>` the same for the entries counted against one user's
 *             bound (`n` the length of the tenant id, so ids with colons cannot collide), and
 *             `:wide:<n>:<tenantId>:<userId>` a hash naming the user's latest user-wide entry,
 *             which the next one replaces; both expire with their last entry;
 * - `:epoch`  a random id written by whichever script finds it missing: a Redis that lost its
 *             data (FLUSHALL, a restart without persistence) loses the epoch with the rest,
 *             so readers holding the old one learn they must take a snapshot.
 * Blocking reads (`waitAfter`) run on dedicated connections this log creates and owns: a
 * blocking command on the shared command connection would stall every other store's calls.
 */
export class RedisRevocationLog implements RevocationLog, Closable {
  /** The command client, shared with the other stores. */
  readonly client: RedisClient;
  readonly #clock: Clock;
  readonly #capacity: number;
  readonly #keys: {
    readonly sequence: string;
    readonly stream: string;
    readonly live: string;
    readonly epoch: string;
  };
  readonly #name: string;
  readonly #deadlineMs: number;
  readonly #commandTimeoutMs: number;
  readonly #maxBlockMs: number;
  readonly #ownsClient: boolean;
  readonly #onConnectionError: (error: Error) => void;
  readonly #scripts: Readonly<Record<RevocationLogScriptName, ScriptCall>>;
  /** Every blocking connection this log made and has not closed. */
  readonly #connections = new Set<RedisClient>();
  /** Blocking connections between waits, reused by the next one. */
  #idle: RedisClient[] = [];
  readonly #closing = new AbortController();

  /**
   * Wraps a client created with `REVOCATION_LOG_SCRIPTS` among its `scripts` (see
   * `createRedisClient`); use `createRedisRevocationLog` unless the client is shared.
   * INVALID_ARGUMENT for a capacity or maxBlockMs below 1, or a name with braces (they would
   * break the tag).
   */
  constructor(client: RedisClient, settings: RedisRevocationLogSettings) {
    const capacity = settings.capacity ?? DEFAULT_REVOCATION_LOG_CAPACITY;
    if (!Number.isSafeInteger(capacity) || capacity < 1) {
      throw invalidArgument('capacity', 'the revocation log capacity must be a positive integer');
    }
    const name = settings.name ?? DEFAULT_REVOCATION_LOG_NAME;
    if (!/^[^{}]+$/.test(name)) {
      throw invalidArgument('name', 'the revocation log name must be non-empty, without braces');
    }
    this.client = client;
    this.#clock = settings.clock;
    this.#capacity = capacity;
    this.#keys = {
      sequence: `{${name}}:seq`,
      stream: `{${name}}:stream`,
      live: `{${name}}:live`,
      epoch: `{${name}}:epoch`,
    };
    this.#name = name;
    this.#commandTimeoutMs = settings.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
    this.#deadlineMs = storeDeadlineMs(this.#commandTimeoutMs);
    this.#maxBlockMs = settings.maxBlockMs ?? DEFAULT_MAX_BLOCK_MS;
    if (!Number.isSafeInteger(this.#maxBlockMs) || this.#maxBlockMs < 1) {
      throw invalidArgument('maxBlockMs', 'the longest blocking read must be a positive integer');
    }
    this.#ownsClient = settings.ownsClient ?? false;
    this.#onConnectionError = settings.onConnectionError ?? (() => {});
    this.#scripts = {
      revocationLogAppend: bindScript(client, 'revocationLogAppend'),
      revocationLogRead: bindScript(client, 'revocationLogRead'),
    };
  }

  async append(revocation: Revocation, limits?: AppendLimits): Promise<bigint> {
    return (await this.#append(revocation, limits)).sequence;
  }

  async appendBounded(revocation: Revocation, limits: AppendLimits): Promise<AppendOutcome> {
    return this.#append(revocation, limits);
  }

  async #append(revocation: Revocation, limits: AppendLimits | undefined): Promise<AppendOutcome> {
    if (!Number.isFinite(revocation.notBefore) || !Number.isFinite(revocation.expiresAt)) {
      throw invalidArgument('revocation', 'notBefore and expiresAt must be epoch milliseconds');
    }
    const bound = limits?.perUser;
    if (bound !== undefined) checkUserBound(revocation, bound);
    const { sequence, stream, live, epoch } = this.#keys;
    const tag = `{${this.#name}}`;
    // Without a bound the user keys are never touched; they only need to be in the slot.
    const user =
      bound === undefined
        ? ''
        : `${revocation.tenantId.length}:${revocation.tenantId}:${bound.userId}`;
    const reply = await withDeadline(this.#deadlineMs, () =>
      this.#scripts.revocationLogAppend(
        sequence,
        stream,
        live,
        epoch,
        `${tag}:live:${revocation.tenantId}`,
        `${tag}:user:${user}`,
        `${tag}:wide:${user}`,
        encode(revocation),
        revocation.expiresAt,
        this.#clock.now(),
        this.#capacity,
        randomUUID(),
        limits === undefined ? '' : limits.maxLivePerTenant,
        bound === undefined ? '' : bound.maxLive,
        bound === undefined ? '' : encode(bound.userWide),
        bound === undefined ? 0 : bound.userWide.expiresAt,
        bound === undefined ? 0 : bound.userWide.notBefore,
        isUserWide(revocation) ? '1' : '',
        revocation.notBefore,
      ),
    );
    const parsed = parseReply(appendReply, reply, 'append');
    if (parsed[0] === 'limit') {
      throw revocationLimitReached(revocation.tenantId, limits?.maxLivePerTenant ?? 0);
    }
    const written = parsed[3] === '1' && bound !== undefined ? bound.userWide : revocation;
    return { sequence: BigInt(parsed[1]), revocation: written };
  }

  /**
   * Reads the live set in batches (ZSCAN), so no single command or reply grows with the set:
   * one read of 100,000 entries is most of a command timeout, and a snapshot that times out
   * would lock every new subscriber out. Consistent all the same: the position is read first,
   * and the snapshot holds exactly the live entries up to its sequence number. ZSCAN returns
   * every member present for the whole scan; members added meanwhile are left out by their
   * sequence number (they follow as events), members removed meanwhile had expired. A log
   * that lost its data during the scan (another epoch, a lower sequence) fails the snapshot
   * with UNAVAILABLE; the subscriber retries.
   */
  async snapshot(): Promise<RevocationSnapshot> {
    const before = await this.position();
    const found = new Map<string, SequencedRevocation>();
    let cursor = '0';
    do {
      const reply = await withDeadline(this.#deadlineMs, () =>
        this.client.zscan(this.#keys.live, cursor, 'COUNT', SNAPSHOT_BATCH),
      );
      const [next, flat] = parseReply(zscanReply, reply, 'zscan');
      for (let i = 0; i < flat.length; i += 2) {
        const member = flat[i];
        if (member !== undefined && !found.has(member)) found.set(member, decodeLiveMember(member));
      }
      cursor = next;
    } while (cursor !== '0');
    const after = await this.position();
    if (after.epoch !== before.epoch || after.sequence < before.sequence) {
      throw new TesseraError('UNAVAILABLE', 'the revocation log was reset during a snapshot');
    }
    const now = this.#clock.now();
    // The set orders by expiry; hand them out in log order, as they were appended.
    const entries = [...found.values()]
      .filter((entry) => entry.sequence <= before.sequence && entry.revocation.expiresAt > now)
      .sort(bySequence);
    return {
      epoch: before.epoch,
      sequence: before.sequence,
      revocations: entries.map((entry) => entry.revocation),
    };
  }

  async readAfter(
    afterSequence: bigint,
    limit: number,
    epoch?: string,
  ): Promise<SequencedRevocation[] | undefined> {
    // XRANGE COUNT 0 reads nothing, which would look like trimming: ask for at least one.
    const count = Math.min(Math.max(Math.floor(limit), 1), MAX_READ) || 1;
    const { latest, epoch: current, raw } = await this.#read(afterSequence + 1n, count);
    // Another epoch, or a cursor past the end: the log lost entries the reader has seen.
    if ((epoch !== undefined && epoch !== current) || afterSequence > latest) return undefined;
    if (afterSequence === latest) return [];
    const entries = contiguous(afterSequence, raw.map(decodeStreamEntry));
    return entries?.slice(0, Math.max(0, limit));
  }

  async position(): Promise<LogPosition> {
    const { latest, epoch } = await this.#read(0n, 1);
    return { epoch, sequence: latest };
  }

  async #read(
    from: bigint,
    count: number,
  ): Promise<{ latest: bigint; epoch: string; raw: z.infer<typeof streamEntry>[] }> {
    const reply = await withDeadline(this.#deadlineMs, () =>
      this.#scripts.revocationLogRead(
        this.#keys.sequence,
        this.#keys.stream,
        this.#keys.epoch,
        // Stream ids start at 1-0; a read for the position asks for as little as it can.
        from === 0n ? '+' : streamId(from),
        count,
        randomUUID(),
      ),
    );
    const [latest, epoch, raw] = parseReply(readReply, reply, 'read');
    return { latest: BigInt(latest), epoch, raw };
  }

  /**
   * As the port says, on a blocking connection of its own. `blockMs` is cut to `maxBlockMs`;
   * when `signal` aborts (or `close()` is called) the wait resolves with [] and its
   * connection is closed, since the server may still hold the blocked read.
   */
  async waitAfter(
    afterSequence: bigint,
    blockMs: number,
    signal: AbortSignal,
    epoch?: string,
  ): Promise<SequencedRevocation[] | undefined> {
    // Plain listeners rather than AbortSignal.any: a composite made on every call would stay
    // tied to the long-lived signals; listeners are removed as soon as the wait ends.
    const stop = [signal, this.#closing.signal];
    if (stop.some((source) => source.aborted)) return [];
    // XREAD BLOCK 0 would wait forever: a wait of nothing is a plain read.
    if (!(blockMs >= 1)) return this.readAfter(afterSequence, WAIT_BATCH, epoch);
    const block = Math.min(Math.ceil(blockMs), this.#maxBlockMs);
    const connection = this.#idle.pop() ?? this.#connect();
    // Only a connection whose read completed is known to hold no pending command.
    let reusable = false;
    try {
      const reply = await interruptible(block + this.#deadlineMs, stop, async () => {
        await whenReady(connection, this.#deadlineMs);
        return connection.call(
          'XREAD',
          'COUNT',
          WAIT_BATCH,
          'BLOCK',
          block,
          'STREAMS',
          this.#keys.stream,
          streamId(afterSequence),
        );
      });
      if (reply === ABORTED) return [];
      reusable = true;
      const streams = parseReply(xreadReply, reply, 'xread');
      const raw = streams?.[0]?.[1];
      // Nothing arrived: one atomic read tells an idle log from one trimmed past us or one
      // that lost its data (and catches an entry appended just as the wait ended). Entries
      // that did arrive may belong to a new epoch: a reader that names its epoch re-reads
      // them in one atomic step with the epoch.
      if (raw === undefined || raw.length === 0 || epoch !== undefined) {
        return this.readAfter(afterSequence, WAIT_BATCH, epoch);
      }
      return contiguous(afterSequence, raw.map(decodeStreamEntry));
    } finally {
      this.#release(connection, reusable);
    }
  }

  async latestSequence(): Promise<bigint> {
    const reply = await withDeadline(this.#deadlineMs, () => this.client.get(this.#keys.sequence));
    return reply === null ? 0n : BigInt(parseReply(sequenceText, reply, 'get'));
  }

  /** Ends every wait in progress (they resolve with []), closes the blocking connections. */
  async close(): Promise<void> {
    if (this.#closing.signal.aborted) return;
    this.#closing.abort();
    for (const connection of this.#connections) connection.disconnect();
    this.#connections.clear();
    this.#idle = [];
    if (this.#ownsClient) await closeRedisClient(this.client);
  }

  /**
   * A new blocking connection like the command client, with a command timeout above the
   * longest block, so the client never cuts a wait short.
   */
  #connect(): RedisClient {
    const commandTimeout = this.#maxBlockMs + this.#commandTimeoutMs;
    const connection =
      this.client instanceof Cluster
        ? this.client.duplicate([], {
            lazyConnect: false,
            redisOptions: { ...this.client.options.redisOptions, commandTimeout },
          })
        : this.client.duplicate({ commandTimeout, lazyConnect: false });
    connection.on('error', (error: unknown) => {
      if (error instanceof Error) this.#onConnectionError(error);
    });
    this.#connections.add(connection);
    return connection;
  }

  /**
   * Keeps a connection for the next wait, or closes it: a wait that was aborted or failed may
   * still have its XREAD blocked on the server, and a command sent behind it would wait too.
   */
  #release(connection: RedisClient, reusable: boolean): void {
    if (reusable && !this.#closing.signal.aborted) {
      this.#idle.push(connection);
      return;
    }
    this.#connections.delete(connection);
    connection.disconnect();
  }
}

/**
 * Runs `work` until it settles, `ms` pass (UNAVAILABLE) or a `stop` signal aborts (ABORTED).
 * The caller closes the connection in the last two cases, which rejects `work` into the void.
 */
function interruptible<T>(
  ms: number,
  stop: readonly AbortSignal[],
  work: () => Promise<T>,
): Promise<T | typeof ABORTED> {
  return new Promise((resolve, reject) => {
    const finish = () => {
      clearTimeout(timer);
      for (const source of stop) source.removeEventListener('abort', onAbort);
    };
    const onAbort = () => {
      finish();
      resolve(ABORTED);
    };
    const timer = setTimeout(() => {
      finish();
      reject(deadlineError(ms));
    }, ms);
    for (const source of stop) source.addEventListener('abort', onAbort, { once: true });
    work().then(
      (value) => {
        finish();
        resolve(value);
      },
      (error: unknown) => {
        finish();
        reject(toStoreError(error));
      },
    );
  });
}

/**
 * Resolves when the connection is ready; rejects at its first connection error (the server
 * is unreachable now: fail at once rather than wait for the reconnection loop) or after `ms`.
 */
function whenReady(connection: RedisClient, ms: number): Promise<void> {
  if (connection.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const settle = (error?: unknown) => {
      clearTimeout(timer);
      connection.off('ready', onReady);
      connection.off('error', onError);
      connection.off('end', onEnd);
      if (error === undefined) resolve();
      else reject(toStoreError(error));
    };
    const onReady = () => settle();
    const onError = (error: unknown) => settle(error ?? new Error('connection failed'));
    const onEnd = () => settle(new Error('connection closed'));
    const timer = setTimeout(() => settle(deadlineError(ms)), ms);
    connection.on('ready', onReady);
    connection.on('error', onError);
    connection.on('end', onEnd);
  });
}

/** The stream id of a sequence number. */
function streamId(sequence: bigint): string {
  return `${sequence < 0n ? 0n : sequence}-0`;
}

function encode(revocation: Revocation): string {
  return JSON.stringify([
    revocation.tenantId,
    revocation.sessionId,
    revocation.userId,
    revocation.applicationId,
    revocation.notBefore,
    revocation.expiresAt,
  ]);
}

function decode(text: string): Revocation {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (error) {
    throw new TesseraError('INTERNAL', 'a stored revocation is not JSON', { cause: error });
  }
  const [tenantId, sessionId, userId, applicationId, notBefore, expiresAt] = parseReply(
    encodedRevocation,
    json,
    'revocation',
  );
  return { tenantId, sessionId, userId, applicationId, notBefore, expiresAt };
}

/** A stream entry: id `<sequence>-0`, field `r` the encoded revocation. */
function decodeStreamEntry([id, fields]: z.infer<typeof streamEntry>): SequencedRevocation {
  const sequence = /^(\d+)-0$/.exec(id)?.[1];
  const at = fields.indexOf('r');
  const text = at % 2 === 0 ? fields[at + 1] : undefined;
  if (sequence === undefined || text === undefined) {
    throw new TesseraError('INTERNAL', 'unexpected revocation stream entry', {
      metadata: { id },
    });
  }
  return { sequence: BigInt(sequence), revocation: decode(text) };
}

/** A live-set member: `<sequence> <encoded revocation>`. */
function decodeLiveMember(member: string): SequencedRevocation {
  const space = member.indexOf(' ');
  const sequence = member.slice(0, space);
  if (space < 1 || !/^\d+$/.test(sequence)) {
    throw new TesseraError('INTERNAL', 'unexpected live revocation member');
  }
  return { sequence: BigInt(sequence), revocation: decode(member.slice(space + 1)) };
}

/**
 * The entries if they follow `afterSequence` without a gap; undefined when the stream was
 * trimmed past `afterSequence + 1` (its entries are consecutive from wherever it starts).
 */
function contiguous(
  afterSequence: bigint,
  entries: SequencedRevocation[],
): SequencedRevocation[] | undefined {
  const first = entries[0];
  return first !== undefined && first.sequence === afterSequence + 1n ? entries : undefined;
}

function bySequence(a: SequencedRevocation, b: SequencedRevocation): number {
  return a.sequence < b.sequence ? -1 : a.sequence > b.sequence ? 1 : 0;
}

/**
 * Connects to Redis (standalone URL, Sentinel or Cluster) with the fail-fast client
 * settings, registers the log's scripts and waits for the first connection (UNAVAILABLE if
 * it does not come within `readyTimeoutMs`). To share one client with the other stores,
 * create it with every store's scripts and use the constructor instead.
 */
export async function createRedisRevocationLog(
  options: RedisRevocationLogOptions,
): Promise<RedisRevocationLog> {
  const commandTimeoutMs = options.commandTimeoutMs ?? DEFAULT_COMMAND_TIMEOUT_MS;
  const client = await connectRedisClient(options, REVOCATION_LOG_SCRIPTS);
  return new RedisRevocationLog(client, {
    clock: options.clock,
    commandTimeoutMs,
    ownsClient: true,
    ...(options.capacity === undefined ? {} : { capacity: options.capacity }),
    ...(options.name === undefined ? {} : { name: options.name }),
    ...(options.maxBlockMs === undefined ? {} : { maxBlockMs: options.maxBlockMs }),
    ...(options.onConnectionError ? { onConnectionError: options.onConnectionError } : {}),
  });
}
