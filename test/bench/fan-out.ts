/**
 * Revocation fan-out at fleet scale: one session service (the built one, on a redis-server of
 * its own) holds 1,000 concurrent WatchRevocations subscribers, as a fleet of 1,000 sidecars
 * would. The subscribers live in child processes (fan-out-subscribers.ts), several HTTP/2
 * connections each, so the measuring process is not the bottleneck.
 *
 * Measured:
 * - delivery: for each of a series of spaced revokes, the time from sending the Revoke to each
 *   subscriber receiving its event, and to the last one receiving it;
 * - the session service's memory per subscriber: RSS after every subscriber had its snapshot
 *   minus RSS before the first connected, divided by the subscribers;
 * - its CPU per subscriber: while idle (a window longer than the heartbeat interval, so every
 *   subscriber gets its heartbeats) and per revoke delivered to every subscriber.
 * From these, the arithmetic for 10,000 subscribers on one session service is printed.
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { once } from 'node:events';
import { rmSync } from 'node:fs';
import { createInterface } from 'node:readline';
import { credentials } from '@grpc/grpc-js';
import { sessionV1 } from '@tessera/contracts';
import { createChannelOptions, credentialsMetadata, unaryCall } from '@tessera/grpc-runtime';
import { startRedisServer, writeStandardRealm } from '@tessera/testing';
import { type ChildServer, onExit, processStats, startChildServer } from './children.js';
import { percentile } from './load.js';
import { createSessions } from './refresh-chains.js';
import { formatBytes, formatMicros, NONE, renderTable } from './report.js';

/** Options of {@link runFanOut}. */
export interface FanOutOptions {
  /** The repository root: where the session bundle and the subscriber script are. */
  readonly root: string;
  readonly deadlineMs: number;
}

/** Subscribers held on the one session service. */
const SUBSCRIBERS = 1_000;
/** Processes the subscribers are spread over, and HTTP/2 connections per process. */
const SUBSCRIBER_PROCESSES = 2;
const CHANNELS_PER_PROCESS = 10;
/** Revokes sent, one after another, each after the previous one reached every subscriber. */
const REVOKES = 20;
/** Pause between one revoke having reached everyone and the next being sent. */
const REVOKE_SPACING_MS = 200;
/** The session service's default idle interval before a heartbeat. */
const HEARTBEAT_MS = 5_000;
/** The idle window: two heartbeat intervals and more, so every subscriber gets its heartbeats. */
const IDLE_WINDOW_MS = 12_000;
/** README, Kubernetes: every subscriber has a revocation within 1 s at p99. */
const DELIVERY_TARGET_MS = 1_000;
/** The fleet size the arithmetic is done for. */
const FLEET = 10_000;
const READY_TIMEOUT_MS = 60_000;

/** What a subscriber process counts. */
interface Counters {
  readonly heartbeats: number;
  readonly errors: number;
  readonly ended: number;
  /** The longest any of its subscribers went without a message since the previous report. */
  readonly silentMs: number;
}

/** A subscriber process and the lines it sends. */
interface SubscriberProcess {
  readonly child: ChildProcess;
  /** Resolves with the next line that has `key`. */
  next(key: string, timeoutMs: number): Promise<Record<string, unknown>>;
  /** Asks for the process's counters. */
  report(): Promise<Counters>;
  stop(): Promise<void>;
}

/** What the fan-out figure measured. */
export interface FanOutResult {
  readonly subscribers: number;
  /** Per subscriber and revoke: ms from sending the Revoke to receiving the event. */
  readonly deliveryMs: readonly number[];
  /** Per revoke: ms from sending the Revoke to the last subscriber receiving it. */
  readonly lastDeliveryMs: readonly number[];
  /** ms the Revoke call itself took (its answer back at the bench), per revoke. */
  readonly revokeCallMs: readonly number[];
  readonly rssBeforeBytes: number | undefined;
  readonly rssAfterBytes: number | undefined;
  readonly peakRssBytes: number | undefined;
  readonly idleCpuSeconds: number | undefined;
  readonly idleSeconds: number;
  readonly heartbeatsInIdle: number;
  /** The longest any subscriber went without a message during the idle window. */
  readonly longestIdleSilenceMs: number;
  readonly revokeCpuSeconds: number | undefined;
  readonly revokeSeconds: number;
  readonly streamErrors: number;
}

/** Runs the fan-out figure on a session service and Redis of its own, then stops them. */
export async function runFanOut(options: FanOutOptions): Promise<FanOutResult> {
  const { root, deadlineMs } = options;
  const stops: (() => Promise<void>)[] = [];
  try {
    const realm = await writeStandardRealm();
    const forgetRealm = onExit(() => realm.cleanup());
    stops.push(async () => {
      realm.cleanup();
      forgetRealm();
    });
    const redis = await startRedisServer();
    const forgetRedisDir = onExit(() => rmSync(redis.dir, { recursive: true, force: true }));
    stops.push(async () => {
      await redis.stop();
      forgetRedisDir();
    });
    const session: ChildServer = await startChildServer(
      'session',
      ['services/session/dist/main.js'],
      {
        cwd: root,
        env: {
          ...process.env,
          TESSERA_CONFIG: realm.realmFile,
          LOG_LEVEL: 'info',
          SHUTDOWN_GRACE_MS: '1000',
          SESSION_ADDRESS: '127.0.0.1:0',
          SESSION_METRICS_ADDRESS: '',
          SESSION_STORE: 'redis',
          REDIS_URL: redis.url,
          TESSERA_TOKEN_PEPPER: randomBytes(32).toString('hex'),
          REVOCATION_HEARTBEAT_MS: String(HEARTBEAT_MS),
        },
      },
    );
    stops.push(() => session.stop());
    const apiKey = realm.keys.plain;
    const client = new sessionV1.SessionServiceClient(
      `127.0.0.1:${session.port}`,
      credentials.createInsecure(),
      createChannelOptions(),
    );
    stops.push(async () => client.close());

    // The sessions to revoke, and one revoke before any subscriber, so the log is not empty and
    // the code paths a revoke takes are warm before the figure.
    const tokens = await createSessions({
      realm,
      clients: REVOKES + 1,
      deadlineMs,
      client,
      apiKey,
      userPrefix: 'fan-out',
    });
    const revoke = async (token: string) => {
      const response = await unaryCall(
        client.revoke.bind(client),
        { tenantId: realm.tenantA, selector: { $case: 'token', value: token }, ownerUserId: '' },
        { deadlineMs, metadata: credentialsMetadata(apiKey) },
      );
      const sessionId = response.revocation?.sessionId ?? '';
      if (sessionId === '') throw new Error('Revoke published no session revocation');
      return sessionId;
    };
    await revoke(tokens[REVOKES] ?? '');

    const rssBefore = processStats(session.pid)?.rssBytes;
    process.stderr.write(
      `fan-out: connecting ${SUBSCRIBERS} WatchRevocations subscribers over ` +
        `${SUBSCRIBER_PROCESSES * CHANNELS_PER_PROCESS} connections…\n`,
    );
    const perProcess = SUBSCRIBERS / SUBSCRIBER_PROCESSES;
    const subscribers = Array.from({ length: SUBSCRIBER_PROCESSES }, () =>
      startSubscribers(root, {
        FANOUT_SESSION_ADDRESS: `127.0.0.1:${session.port}`,
        FANOUT_API_KEY: apiKey,
        FANOUT_SUBSCRIBERS: String(perProcess),
        FANOUT_CHANNELS: String(CHANNELS_PER_PROCESS),
      }),
    );
    stops.push(async () => {
      for (const process_ of subscribers) await process_.stop();
    });
    await Promise.all(subscribers.map((process_) => process_.next('ready', READY_TIMEOUT_MS)));
    const rssAfter = processStats(session.pid)?.rssBytes;

    process.stderr.write(`fan-out: holding them idle for ${IDLE_WINDOW_MS / 1000} s…\n`);
    const heartbeatsBefore = await sumReports(subscribers);
    const idleFrom = processStats(session.pid)?.cpuSeconds;
    const idleStart = performance.now();
    await new Promise((resolve) => setTimeout(resolve, IDLE_WINDOW_MS));
    const idleTo = processStats(session.pid)?.cpuSeconds;
    const idleSeconds = (performance.now() - idleStart) / 1000;
    const heartbeatsAfter = await sumReports(subscribers);

    process.stderr.write(`fan-out: ${REVOKES} revokes, each to every subscriber…\n`);
    const deliveryMs: number[] = [];
    const lastDeliveryMs: number[] = [];
    const revokeCallMs: number[] = [];
    const revokeFrom = processStats(session.pid)?.cpuSeconds;
    const revokeStart = performance.now();
    for (let index = 0; index < REVOKES; index++) {
      const arrived = subscribers.map((process_) => process_.next('sessionId', deadlineMs));
      const sentAt = performance.timeOrigin + performance.now();
      const sessionId = await revoke(tokens[index] ?? '');
      revokeCallMs.push(performance.timeOrigin + performance.now() - sentAt);
      let last = 0;
      for (const line of await Promise.all(arrived)) {
        if (line.sessionId !== sessionId) {
          throw new Error(`subscribers received ${String(line.sessionId)}, not ${sessionId}`);
        }
        for (const at of numbers(line.times)) {
          deliveryMs.push(at - sentAt);
          last = Math.max(last, at - sentAt);
        }
      }
      lastDeliveryMs.push(last);
      await new Promise((resolve) => setTimeout(resolve, REVOKE_SPACING_MS));
    }
    // The pauses are idle time; only the delivery part is charged to the revokes.
    const revokeSeconds =
      (performance.now() - revokeStart) / 1000 - (REVOKES * REVOKE_SPACING_MS) / 1000;
    const revokeTo = processStats(session.pid)?.cpuSeconds;
    const counters = await sumReports(subscribers);
    const stats = processStats(session.pid);
    const difference = (from: number | undefined, to: number | undefined) =>
      from === undefined || to === undefined ? undefined : to - from;
    return {
      subscribers: SUBSCRIBERS,
      deliveryMs: deliveryMs.sort((a, b) => a - b),
      lastDeliveryMs: [...lastDeliveryMs].sort((a, b) => a - b),
      revokeCallMs: [...revokeCallMs].sort((a, b) => a - b),
      rssBeforeBytes: rssBefore,
      rssAfterBytes: rssAfter,
      peakRssBytes: stats?.peakRssBytes,
      idleCpuSeconds: difference(idleFrom, idleTo),
      idleSeconds,
      heartbeatsInIdle: heartbeatsAfter.heartbeats - heartbeatsBefore.heartbeats,
      longestIdleSilenceMs: heartbeatsAfter.silentMs,
      revokeCpuSeconds: difference(revokeFrom, revokeTo),
      revokeSeconds,
      streamErrors: counters.errors + counters.ended,
    };
  } finally {
    for (const stop of stops.reverse()) await stop();
  }
}

function numbers(value: unknown): number[] {
  if (!Array.isArray(value)) throw new Error('a subscriber process sent no arrival times');
  return value.filter((item): item is number => typeof item === 'number');
}

async function sumReports(processes: readonly SubscriberProcess[]): Promise<Counters> {
  const reports = await Promise.all(processes.map((process_) => process_.report()));
  return reports.reduce(
    (sum, report) => ({
      heartbeats: sum.heartbeats + report.heartbeats,
      errors: sum.errors + report.errors,
      ended: sum.ended + report.ended,
      silentMs: Math.max(sum.silentMs, report.silentMs),
    }),
    { heartbeats: 0, errors: 0, ended: 0, silentMs: 0 },
  );
}

function startSubscribers(root: string, env: Readonly<Record<string, string>>): SubscriberProcess {
  const child = spawn(
    process.execPath,
    ['--conditions=tessera-source', '--import', 'tsx', 'test/bench/fan-out-subscribers.ts'],
    {
      cwd: root,
      env: { ...process.env, ...env },
      stdio: ['pipe', 'pipe', 'inherit'],
    },
  );
  // Lines are queued until asked for; each `next` takes the first queued line with its key.
  const queued: Record<string, unknown>[] = [];
  const waiting: { key: string; resolve: (line: Record<string, unknown>) => void }[] = [];
  const deliver = () => {
    for (const waiter of [...waiting]) {
      const found = queued.findIndex((line) => waiter.key in line);
      if (found === -1) continue;
      const [line] = queued.splice(found, 1);
      waiting.splice(waiting.indexOf(waiter), 1);
      if (line !== undefined) waiter.resolve(line);
    }
  };
  createInterface({ input: child.stdout ?? process.stdin }).on('line', (text) => {
    if (!text.startsWith('{')) return;
    const parsed: unknown = JSON.parse(text);
    if (typeof parsed === 'object' && parsed !== null) {
      queued.push(parsed as Record<string, unknown>);
      deliver();
    }
  });
  const exited = once(child, 'exit');
  const next = (key: string, timeoutMs: number) =>
    new Promise<Record<string, unknown>>((resolve, reject) => {
      const timer = setTimeout(() => {
        const index = waiting.findIndex((waiter) => waiter.resolve === settle);
        if (index !== -1) waiting.splice(index, 1);
        reject(new Error(`a fan-out subscriber process sent no "${key}" within ${timeoutMs} ms`));
      }, timeoutMs);
      const settle = (line: Record<string, unknown>) => {
        clearTimeout(timer);
        resolve(line);
      };
      waiting.push({ key, resolve: settle });
      deliver();
    });
  return {
    child,
    next,
    async report() {
      const answer = next('heartbeats', 10_000);
      child.stdin?.write('report\n');
      const line = await answer;
      return {
        heartbeats: Number(line.heartbeats),
        errors: Number(line.errors),
        ended: Number(line.ended),
        silentMs: Number(line.silentMs),
      };
    },
    async stop() {
      if (child.exitCode !== null || child.signalCode !== null) return;
      child.stdin?.end();
      const timer = setTimeout(() => child.kill('SIGKILL'), 5_000);
      await exited;
      clearTimeout(timer);
    },
  };
}

/** Prints the fan-out table and the arithmetic for {@link FLEET} subscribers. */
export function printFanOut(result: FanOutResult): void {
  const { subscribers } = result;
  console.log(
    `## Revocation fan-out: ${subscribers.toLocaleString('en-US')} WatchRevocations subscribers on one session service\n`,
  );
  const ms = (value: number | undefined) =>
    value === undefined || !Number.isFinite(value) ? NONE : `${value.toFixed(1)} ms`;
  const p = (sorted: readonly number[], quantile: number) => percentile(sorted, quantile);
  const max = (sorted: readonly number[]) => sorted[sorted.length - 1];
  const met = (value: number) => (value < DELIVERY_TARGET_MS ? 'yes' : 'NO');
  console.log(
    renderTable(
      [
        { header: 'revoke → subscriber has the event' },
        { header: 'samples', numeric: true },
        { header: 'p50', numeric: true },
        { header: 'p99', numeric: true },
        { header: 'max', numeric: true },
        { header: 'target p99', numeric: true },
        { header: 'met' },
      ],
      [
        [
          'each subscriber, each revoke',
          String(result.deliveryMs.length),
          ms(p(result.deliveryMs, 0.5)),
          ms(p(result.deliveryMs, 0.99)),
          ms(max(result.deliveryMs)),
          `< ${DELIVERY_TARGET_MS} ms`,
          met(p(result.deliveryMs, 0.99)),
        ],
        [
          'last subscriber, each revoke',
          String(result.lastDeliveryMs.length),
          ms(p(result.lastDeliveryMs, 0.5)),
          ms(p(result.lastDeliveryMs, 0.99)),
          ms(max(result.lastDeliveryMs)),
          NONE,
          NONE,
        ],
        [
          'the Revoke call itself',
          String(result.revokeCallMs.length),
          ms(p(result.revokeCallMs, 0.5)),
          ms(p(result.revokeCallMs, 0.99)),
          ms(max(result.revokeCallMs)),
          NONE,
          NONE,
        ],
      ],
    ),
  );

  const rssDelta =
    result.rssBeforeBytes === undefined || result.rssAfterBytes === undefined
      ? undefined
      : result.rssAfterBytes - result.rssBeforeBytes;
  const memoryPerSubscriber = rssDelta === undefined ? undefined : rssDelta / subscribers;
  // CPU seconds per second per subscriber while idle (heartbeats), and per revoke delivered.
  const idlePerSubscriber =
    result.idleCpuSeconds === undefined
      ? undefined
      : result.idleCpuSeconds / result.idleSeconds / subscribers;
  const perRevokePerSubscriber =
    result.revokeCpuSeconds === undefined
      ? undefined
      : result.revokeCpuSeconds / result.lastDeliveryMs.length / subscribers;
  const us = (seconds: number | undefined) =>
    formatMicros(seconds === undefined ? undefined : seconds * 1e6);
  console.log('');
  console.log(
    renderTable(
      [
        { header: 'session service' },
        { header: 'measured', numeric: true },
        { header: 'per subscriber', numeric: true },
        { header: `× ${FLEET.toLocaleString('en-US')} subscribers`, numeric: true },
      ],
      [
        [
          `RSS, before → after ${subscribers} connected`,
          `${formatBytes(result.rssBeforeBytes)} → ${formatBytes(result.rssAfterBytes)}`,
          memoryPerSubscriber === undefined
            ? NONE
            : `${(memoryPerSubscriber / 1024).toFixed(1)} KiB`,
          formatBytes(memoryPerSubscriber === undefined ? undefined : memoryPerSubscriber * FLEET),
        ],
        [
          `CPU idle (${result.heartbeatsInIdle} heartbeats in ${result.idleSeconds.toFixed(1)} s)`,
          `${us(result.idleCpuSeconds)} in ${result.idleSeconds.toFixed(1)} s`,
          `${us(idlePerSubscriber)}/s`,
          idlePerSubscriber === undefined
            ? NONE
            : `${(idlePerSubscriber * FLEET * 100).toFixed(1)}% of a core`,
        ],
        [
          `CPU per revoke delivered to all (${result.lastDeliveryMs.length} revokes)`,
          us(
            result.revokeCpuSeconds === undefined
              ? undefined
              : result.revokeCpuSeconds / result.lastDeliveryMs.length,
          ),
          us(perRevokePerSubscriber),
          us(perRevokePerSubscriber === undefined ? undefined : perRevokePerSubscriber * FLEET),
        ],
      ],
    ),
  );
  const lastP50 = p(result.lastDeliveryMs, 0.5);
  const fleetLast =
    perRevokePerSubscriber === undefined ? undefined : perRevokePerSubscriber * FLEET * 1000;
  console.log(
    `\nstream errors or ends during the figure: ${result.streamErrors}; peak RSS ${formatBytes(result.peakRssBytes)}.\n` +
      `Idle, the longest any subscriber went without a message was ${ms(result.longestIdleSilenceMs)} ` +
      `(heartbeat interval ${HEARTBEAT_MS} ms).\n` +
      `Arithmetic for ${FLEET.toLocaleString('en-US')} subscribers on one session service (one event loop, so a\n` +
      'revoke reaches subscribers one after another): the last one waits about the CPU of one revoke ×\n' +
      `${FLEET.toLocaleString('en-US')} = ${ms(fleetLast)} (measured here for ${subscribers}: p50 ${ms(lastP50)} to the last one);\n` +
      'the sustained revoke rate one process can fan out is 1 / that; memory and idle CPU scale linearly\n' +
      'as in the table. Past that, add session replicas (each tails the log once) or a fan-out tier.\n',
  );
}
