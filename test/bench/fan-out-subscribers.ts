/**
 * Entry point of a subscriber process of the fan-out figure (fan-out.ts): it holds
 * FANOUT_SUBSCRIBERS WatchRevocations streams to one session service over FANOUT_CHANNELS
 * grpc-js channels of their own (one HTTP/2 connection each, so no connection carries more than
 * its share of streams), as that many sidecars would.
 *
 * It talks to its parent in JSON lines on stdout:
 * - `{"ready":N}` once every subscriber has had its first snapshot (its SnapshotEnd);
 * - `{"sessionId":S,"times":[…]}` once every subscriber has received the event revoking
 *   session S: the wall-clock instants (epoch ms, sub-millisecond) each one received it, which
 *   the parent compares with the instant it sent the Revoke (both processes read one clock);
 * - `{"heartbeats":N,"errors":N,"ended":N,"silentMs":M}` when asked by a `report` line on
 *   stdin: counters since start, and the longest any subscriber went without a message since the
 *   previous report (a sidecar judges its revocations stale by that silence).
 * It exits when its stdin ends, so it never outlives the bench.
 */
import { createInterface } from 'node:readline';
import { credentials, type ServiceError } from '@grpc/grpc-js';
import { sessionV1 } from '@tessera/contracts';
import { createChannelOptions, credentialsMetadata } from '@tessera/grpc-runtime';

const address = requireEnv('FANOUT_SESSION_ADDRESS');
const apiKey = requireEnv('FANOUT_API_KEY');
const subscribers = Number(requireEnv('FANOUT_SUBSCRIBERS'));
const channelCount = Number(requireEnv('FANOUT_CHANNELS'));

function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
}

/** Wall-clock epoch milliseconds with the monotonic clock's resolution. */
function nowMs(): number {
  return performance.timeOrigin + performance.now();
}

function send(line: Readonly<Record<string, unknown>>): void {
  process.stdout.write(`${JSON.stringify(line)}\n`);
}

// A local subchannel pool per client: without it grpc-js would share one connection among
// every client with the same options, and one connection caps its concurrent streams.
const clients = Array.from(
  { length: channelCount },
  () =>
    new sessionV1.SessionServiceClient(
      address,
      credentials.createInsecure(),
      createChannelOptions({ 'grpc.use_local_subchannel_pool': 1 }),
    ),
);

let snapshotted = 0;
let heartbeats = 0;
let errors = 0;
let ended = 0;
/** Per subscriber: when it last received anything, and its longest silence since the last report. */
const lastMessageAt = new Array<number>(subscribers).fill(nowMs());
const longestSilenceMs = new Array<number>(subscribers).fill(0);
/** Arrival instants of each session's revocation, until every subscriber has it. */
const arrivals = new Map<string, number[]>();

for (let index = 0; index < subscribers; index++) {
  const client = clients[index % clients.length];
  if (client === undefined) throw new Error('no channel');
  let hadSnapshot = false;
  const stream = client.watchRevocations(
    { afterSequence: 0n, epoch: '' },
    credentialsMetadata(apiKey),
  );
  stream.on('data', (message: sessionV1.WatchRevocationsResponse) => {
    const kind = message.kind;
    if (kind === undefined) return;
    const now = nowMs();
    longestSilenceMs[index] = Math.max(
      longestSilenceMs[index] ?? 0,
      now - (lastMessageAt[index] ?? now),
    );
    lastMessageAt[index] = now;
    if (kind.$case === 'snapshotEnd' && !hadSnapshot) {
      hadSnapshot = true;
      if (++snapshotted === subscribers) send({ ready: subscribers });
    } else if (kind.$case === 'heartbeat') {
      heartbeats++;
    } else if (kind.$case === 'event') {
      const at = nowMs();
      const sessionId = kind.value.revocation?.sessionId ?? '';
      const times = arrivals.get(sessionId) ?? [];
      times.push(at);
      arrivals.set(sessionId, times);
      if (times.length === subscribers) {
        arrivals.delete(sessionId);
        send({ sessionId, times });
      }
    }
  });
  stream.on('error', (error: ServiceError) => {
    errors++;
    process.stderr.write(`fan-out subscriber ${index}: ${error.code} ${error.details}\n`);
  });
  stream.on('end', () => {
    ended++;
  });
}

const commands = createInterface({ input: process.stdin });
commands.on('line', (line) => {
  if (line.trim() !== 'report') return;
  // Silences still going on count up to now; every count restarts with the report.
  const now = nowMs();
  let silentMs = 0;
  for (let index = 0; index < subscribers; index++) {
    const current = now - (lastMessageAt[index] ?? now);
    silentMs = Math.max(silentMs, longestSilenceMs[index] ?? 0, current);
    longestSilenceMs[index] = 0;
  }
  send({ heartbeats, errors, ended, silentMs });
});
commands.once('close', () => {
  for (const client of clients) client.close();
  process.exit(0);
});
