/**
 * The REST hop: vend, validate and refresh through the built gateway, loaded by autocannon
 * from this process (http-load.ts), beside the fastify HTTP echo measured in the same run.
 *
 * - HTTP echo: `GET /echo` on http-echo-server.ts, with the same Authorization header as a
 *   validation, answering a body of a validation answer's size: the limit of the same kind of
 *   server doing nothing.
 * - Vend: `POST /api/jwt/vend` with the realm's admin key: gateway → issuer over gRPC.
 * - Validate, repeat token: one token on every request, so after the first it is a hit of the
 *   gateway's verified-token cache (expiry and revocation re-checked).
 * - Validate, first-seen tokens: every request presents the next token of a pool vended over
 *   gRPC by the issuer before any REST figure, so none was validated (or cached) before.
 * - Refresh: `POST /api/jwt/refresh`, anonymous; each connection owns one OneTimeUse chain
 *   (a session started with the issuer's StartSession) and presents only its latest token:
 *   gateway → issuer → session → Redis, and an access token signed.
 */
import type { issuerV1, sessionV1 } from '@tessera/contracts';
import { credentialsMetadata, unaryCall } from '@tessera/grpc-runtime';
import type autocannon from 'autocannon';
import { type HttpMeasured, type HttpTarget, type HttpWorkload, measureHttp } from './http-load.js';
import type { LoadResult } from './load.js';
import { serialLimit, type Timing } from './measure.js';
import { startIssuerSessions } from './refresh-chains.js';
import { formatMicros, formatRate, formatRatio, NONE, renderTable } from './report.js';
import type { BenchStack } from './stack.js';

/** README, Performance: repeat-token validation reaches at least 80% of the HTTP echo. */
export const REPEAT_TARGET = 0.8;
/** README, Performance: first-seen validation reaches 70% of 1 / (echo cost + raw verify cost). */
export const FIRST_SEEN_TARGET = 0.7;
/** README, Performance: refreshes per second through the whole chain, on the machine it was set on. */
export const REFRESH_TARGET = 3_000;

/**
 * Tokens first-seen validation takes one by one. Larger than the gateway's verified-token
 * cache (10,000 by default), so even a pool that wrapped around would present tokens the
 * cache has evicted; at this size it does not wrap at the default BENCH_SECONDS.
 */
export const FIRST_SEEN_POOL_SIZE = 20_000;
/** Vend calls in flight while the pool is vended. */
const POOL_VEND_CONCURRENCY = 64;

const VEND_PATH = '/api/jwt/vend';
const VALIDATE_PATH = '/api/jwt/validate';
const REFRESH_PATH = '/api/jwt/refresh';
const ECHO_PATH = '/echo';
/** The claims of every vended token, over gRPC and REST alike. */
const VEND_CLAIMS = { sub: 'bench-user', roles: ['user'] };

/** What the REST workloads need: the running stack and clients of its gRPC services. */
export interface RestSetup {
  readonly stack: BenchStack;
  readonly issuerClient: issuerV1.IssuerServiceClient;
  readonly sessionClient: sessionV1.SessionServiceClient;
  readonly deadlineMs: number;
  /** Tokens for first-seen validation; {@link FIRST_SEEN_POOL_SIZE} unless a load needs fewer. */
  readonly poolSize?: number;
}

/** The REST loads, each checked once by hand before it is handed out. */
export interface RestWorkloads {
  readonly gateway: HttpTarget;
  readonly echo: HttpTarget;
  readonly httpEcho: HttpWorkload;
  readonly vend: HttpWorkload;
  readonly validateRepeat: HttpWorkload;
  readonly validateFirstSeen: HttpWorkload;
  readonly refresh: HttpWorkload;
  readonly poolSize: number;
  /** How many pool tokens first-seen validation has taken so far. */
  firstSeenTaken(): number;
}

/** Vends the first-seen pool, checks every route once, and returns the loads. */
export async function createRestWorkloads(setup: RestSetup): Promise<RestWorkloads> {
  const { stack, issuerClient, deadlineMs } = setup;
  const { realm } = stack;
  const gateway: HttpTarget = { origin: `http://127.0.0.1:${stack.gateway.port}` };
  const echo: HttpTarget = { origin: `http://127.0.0.1:${stack.httpEcho.port}` };
  const json = { 'content-type': 'application/json' };

  const vendHeaders = {
    ...json,
    authorization: realm.keys.admin,
    // The realm has three tenants and the admin key is locked to none: the header says which.
    'x-fusionauth-tenantid': realm.tenantA,
  };
  const vendBody = JSON.stringify({ claims: VEND_CLAIMS });
  const vended = await expectJson(`${gateway.origin}${VEND_PATH}`, {
    method: 'POST',
    headers: vendHeaders,
    body: vendBody,
  });
  const repeatToken = stringField(vended, 'token', 'POST /api/jwt/vend');
  const bearer = { authorization: `Bearer ${repeatToken}` };
  const validated = await expectJson(`${gateway.origin}${VALIDATE_PATH}`, { headers: bearer });
  if (typeof validated !== 'object' || validated === null || !('jwt' in validated)) {
    throw new Error('GET /api/jwt/validate answered 200 without the decoded JWT');
  }
  await expectJson(`${echo.origin}${ECHO_PATH}`, { headers: bearer });

  const sessions = (count: number) =>
    startIssuerSessions({
      realm,
      clients: count,
      deadlineMs,
      client: issuerClient,
      apiKey: realm.keys.admin,
      directory: setup.sessionClient,
      directoryApiKey: stack.sessionApiKey,
    });
  const [probeToken] = await sessions(1);
  const refreshed = await expectJson(`${gateway.origin}${REFRESH_PATH}`, {
    method: 'POST',
    headers: json,
    body: JSON.stringify({ refreshToken: probeToken }),
  });
  const rotated = stringField(refreshed, 'refreshToken', 'POST /api/jwt/refresh');
  if (rotated === probeToken) {
    throw new Error(
      'POST /api/jwt/refresh handed the same token back: is applicationA OneTimeUse?',
    );
  }

  const poolSize = setup.poolSize ?? FIRST_SEEN_POOL_SIZE;
  process.stderr.write(
    `vending ${formatRate(poolSize)} tokens over gRPC for first-seen validation…\n`,
  );
  const pool = await vendPool(setup, poolSize);
  let taken = 0;
  const nextPoolToken = () => pool[taken++ % pool.length] ?? '';

  return {
    gateway,
    echo,
    poolSize,
    firstSeenTaken: () => taken,
    httpEcho: () => ({ path: ECHO_PATH, headers: bearer }),
    vend: () => ({ path: VEND_PATH, method: 'POST', headers: vendHeaders, body: vendBody }),
    validateRepeat: () => ({ path: VALIDATE_PATH, headers: bearer }),
    validateFirstSeen: () => ({
      path: VALIDATE_PATH,
      requests: [
        {
          method: 'GET',
          path: VALIDATE_PATH,
          setupRequest: (request) => ({
            ...request,
            headers: { ...request.headers, authorization: `Bearer ${nextPoolToken()}` },
          }),
        },
      ],
    }),
    refresh: async (connections) => {
      // autocannon abandons the requests in flight when a run ends: a chain whose last token
      // the gateway consumed without the answer reaching its connection cannot go on (its
      // next refresh would be a reuse, which revokes the family). Every run starts its own.
      const tokens = await sessions(connections);
      let assigned = 0;
      let bad = 0;
      // autocannon resets a connection's `context` before every request when there is only
      // one request in the sequence, so a chain cannot live there; it lives in the closure of
      // requests given to each connection as it is set up.
      const setupClient = (client: autocannon.Client) => {
        const chain = assigned++;
        if (chain >= tokens.length) throw new Error(`no refresh chain for connection ${chain}`);
        client.setRequests([
          {
            method: 'POST',
            path: REFRESH_PATH,
            headers: json,
            setupRequest: (request) => ({
              ...request,
              body: JSON.stringify({ refreshToken: tokens[chain] }),
            }),
            onResponse: (status, body) => {
              if (status !== 200) return;
              const next = refreshTokenOf(body);
              if (next === undefined || next === tokens[chain]) bad++;
              else tokens[chain] = next;
            },
          },
        ]);
      };
      return {
        path: REFRESH_PATH,
        method: 'POST',
        headers: json,
        body: JSON.stringify({ refreshToken: tokens[0] }),
        setupClient,
        badAnswers: () => bad,
      };
    },
  };
}

/** The figures of one connection count, all measured back to back. */
export interface RestRound {
  readonly connections: number;
  readonly echo: HttpMeasured;
  readonly vend: HttpMeasured;
  readonly validateRepeat: HttpMeasured;
  readonly validateFirstSeen: HttpMeasured;
  readonly refresh: HttpMeasured;
}

/** Measures every REST figure at each connection count. */
export async function measureRest(
  workloads: RestWorkloads,
  stack: BenchStack,
  timing: Timing,
  connectionCounts: readonly number[],
): Promise<RestRound[]> {
  const watch = {
    httpEcho: { name: 'http echo', pid: stack.httpEcho.pid },
    gateway: { name: 'gateway', pid: stack.gateway.pid },
    issuer: { name: 'issuer', pid: stack.issuer.pid },
    session: { name: 'session', pid: stack.session.pid },
    redis: { name: 'redis', pid: stack.redis.pid },
  };
  const { gateway, echo } = workloads;
  const rounds: RestRound[] = [];
  for (const connections of connectionCounts) {
    rounds.push({
      connections,
      echo: await measureHttp(timing, 'HTTP echo', echo, workloads.httpEcho, connections, [
        watch.httpEcho,
      ]),
      vend: await measureHttp(timing, 'REST vend', gateway, workloads.vend, connections, [
        watch.gateway,
        watch.issuer,
      ]),
      validateRepeat: await measureHttp(
        timing,
        'REST validate (repeat token)',
        gateway,
        workloads.validateRepeat,
        connections,
        [watch.gateway],
      ),
      validateFirstSeen: await measureHttp(
        timing,
        'REST validate (first-seen tokens)',
        gateway,
        workloads.validateFirstSeen,
        connections,
        [watch.gateway],
      ),
      refresh: await measureHttp(timing, 'REST refresh', gateway, workloads.refresh, connections, [
        watch.gateway,
        watch.issuer,
        watch.session,
        watch.redis,
      ]),
    });
  }
  return rounds;
}

/** A limit measured elsewhere in the run: raw crypto, gRPC echo, the Lua rotation. */
export interface Limit {
  readonly label: string;
  readonly result: LoadResult;
}

/** What the REST tables are read against. */
export interface RestLimits {
  readonly sign: Limit;
  readonly verify: Limit;
  /** The gRPC echo and the direct Lua rotation at `inFlight` calls in flight, if measured. */
  readonly grpcAt: (
    inFlight: number,
  ) => { readonly echo: LoadResult; readonly directRotate: LoadResult } | undefined;
}

const FLOW_COLUMNS = [
  { header: 'call' },
  { header: 'connections', numeric: true },
  { header: 'ops/s', numeric: true },
  { header: 'p50', numeric: true },
  { header: 'p99', numeric: true },
] as const;

const FAILURE_COLUMNS = [
  { header: 'non-2xx', numeric: true },
  { header: 'errors', numeric: true },
  { header: 'answers' },
] as const;

/** Prints the two REST tables and the list of flagged figures. */
export function printRest(
  rounds: readonly RestRound[],
  limits: RestLimits,
  workloads: RestWorkloads,
): void {
  const flowCells = (name: string, measured: HttpMeasured) => [
    name,
    String(measured.inFlight),
    formatRate(measured.opsPerSecond),
    formatMicros(measured.p50Us),
    formatMicros(measured.p99Us),
  ];
  const failureCells = (measured: HttpMeasured) => [
    String(measured.failures.non2xx),
    String(measured.failures.errors),
    measured.flagged ? 'FLAGGED' : 'all 2xx',
  ];
  const cpu = (measured: HttpMeasured, name: string) =>
    formatMicros(measured.cpuUsPerCallOf.get(name));
  const ratioCells = (measured: HttpMeasured, limit: number | undefined, target: number) => {
    const ratio = limit === undefined ? undefined : measured.opsPerSecond / limit;
    return [
      limit === undefined ? NONE : formatRate(limit),
      formatRatio(ratio),
      limit === undefined ? NONE : `≥ ${formatRatio(target)}`,
      ratio === undefined ? NONE : ratio >= target ? 'yes' : 'NO',
    ];
  };

  console.log('## REST gateway: validation where the token is (autocannon, load from this one)\n');
  const validationRows = rounds.flatMap((round) => [
    [
      ...flowCells('HTTP echo', round.echo),
      NONE,
      NONE,
      NONE,
      NONE,
      ...failureCells(round.echo),
      cpu(round.echo, 'http echo'),
      formatMicros(round.echo.cpuUsPerCall),
    ],
    [
      ...flowCells('Validate, repeat token', round.validateRepeat),
      ...ratioCells(round.validateRepeat, round.echo.opsPerSecond, REPEAT_TARGET),
      ...failureCells(round.validateRepeat),
      cpu(round.validateRepeat, 'gateway'),
      formatMicros(round.validateRepeat.cpuUsPerCall),
    ],
    [
      ...flowCells('Validate, first-seen tokens', round.validateFirstSeen),
      ...ratioCells(
        round.validateFirstSeen,
        serialLimit(round.echo, limits.verify.result),
        FIRST_SEEN_TARGET,
      ),
      ...failureCells(round.validateFirstSeen),
      cpu(round.validateFirstSeen, 'gateway'),
      formatMicros(round.validateFirstSeen.cpuUsPerCall),
    ],
  ]);
  console.log(
    renderTable(
      [
        ...FLOW_COLUMNS,
        { header: 'limit ops/s', numeric: true },
        { header: 'ratio', numeric: true },
        { header: 'target', numeric: true },
        { header: 'met' },
        ...FAILURE_COLUMNS,
        { header: 'server CPU/call', numeric: true },
        { header: 'bench CPU/call', numeric: true },
      ],
      validationRows,
    ),
  );
  const taken = workloads.firstSeenTaken();
  console.log(
    '\nlimit of repeat-token validation = the HTTP echo (fastify, no work) at the same connection count;\n' +
      'limit of first-seen validation = 1 / (HTTP echo cost + ES256 verify cost of ' +
      `${limits.verify.label}, ${formatRate(limits.verify.result.opsPerSecond)}/s).\n` +
      `First-seen tokens: a pool of ${formatRate(workloads.poolSize)} vended over gRPC by the issuer before the\n` +
      `REST figures; ${formatRate(taken)} requests (warm-ups included) took them in order,\n` +
      (taken <= workloads.poolSize
        ? 'so no token was presented twice.\n'
        : 'so the pool wrapped around, past the gateway’s verified-token cache (10,000 entries by default).\n') +
      'server CPU/call is the echo server’s or the gateway’s; when bench CPU/call (autocannon) is\n' +
      'the larger, the load generator, not the server, set the pace.\n',
  );

  console.log('## REST gateway: vend and refresh through the gRPC services\n');
  const top = Math.max(...rounds.map((round) => round.connections));
  const flowRows = rounds.flatMap((round) => {
    const grpc = limits.grpcAt(round.connections);
    // What each chain would cost with no code of its own, for orientation only: the
    // processes share the machine's cores, so their costs overlap.
    const vendCeiling =
      grpc === undefined ? undefined : serialLimit(round.echo, grpc.echo, limits.sign.result);
    const refreshCeiling =
      grpc === undefined
        ? undefined
        : serialLimit(round.echo, grpc.echo, grpc.echo, grpc.directRotate, limits.sign.result);
    const targeted = round.connections === top;
    const row = (
      name: string,
      measured: HttpMeasured,
      target: number | undefined,
      ceiling: number | undefined,
    ) => [
      ...flowCells(name, measured),
      target === undefined ? NONE : `≥ ${formatRate(target)}`,
      target === undefined ? NONE : measured.opsPerSecond >= target ? 'yes' : 'NO',
      ceiling === undefined ? NONE : formatRate(ceiling),
      ceiling === undefined ? NONE : formatRatio(measured.opsPerSecond / ceiling),
      ...failureCells(measured),
      cpu(measured, 'gateway'),
      cpu(measured, 'issuer'),
      cpu(measured, 'session'),
      cpu(measured, 'redis'),
      formatMicros(measured.cpuUsPerCall),
    ];
    return [
      row('Vend', round.vend, undefined, vendCeiling),
      row('Refresh', round.refresh, targeted ? REFRESH_TARGET : undefined, refreshCeiling),
    ];
  });
  console.log(
    renderTable(
      [
        ...FLOW_COLUMNS,
        { header: 'target ops/s', numeric: true },
        { header: 'met' },
        { header: 'ceiling ops/s', numeric: true },
        { header: 'vs ceiling', numeric: true },
        ...FAILURE_COLUMNS,
        { header: 'gateway CPU/call', numeric: true },
        { header: 'issuer CPU/call', numeric: true },
        { header: 'session CPU/call', numeric: true },
        { header: 'redis CPU/call', numeric: true },
        { header: 'bench CPU/call', numeric: true },
      ],
      flowRows,
    ),
  );
  console.log(
    `\ntarget (README, Performance): ≥ ${formatRate(REFRESH_TARGET)} refreshes/s through gateway → issuer → session → Redis\n` +
      'on the machine it was set on, with the load generator on it too; judged at the highest\n' +
      'connection count (one connection measures latency, not capacity). Each connection owns a\n' +
      'OneTimeUse chain started with StartSession and presents only its latest refresh token.\n' +
      'ceiling of Vend = 1 / (HTTP echo cost + gRPC echo cost + ES256 sign cost);\n' +
      'ceiling of Refresh = 1 / (HTTP echo cost + 2 × gRPC echo cost + Lua rotate cost + ES256 sign cost),\n' +
      `both for orientation (ES256 sign of ${limits.sign.label}; gRPC figures from the tables above).\n`,
  );

  const flagged = rounds.flatMap((round) =>
    (
      [
        ['HTTP echo', round.echo],
        ['Vend', round.vend],
        ['Validate, repeat token', round.validateRepeat],
        ['Validate, first-seen tokens', round.validateFirstSeen],
        ['Refresh', round.refresh],
      ] as const
    )
      .filter(([, measured]) => measured.flagged)
      .map(
        ([name, measured]) =>
          `- ${name} at ${round.connections} connections: ${describe(measured)}`,
      ),
  );
  if (flagged.length > 0) {
    console.log(
      `FLAGGED: these figures had failures; their throughput counts 2xx answers only.\n${flagged.join('\n')}\n`,
    );
  }
}

/** What went wrong during a flagged figure, in one line. */
function describe(measured: HttpMeasured): string {
  const { failures } = measured;
  const parts = [...failures.statuses.entries()].map(
    ([status, count]) => `${formatRate(count)} × HTTP ${status}`,
  );
  if (failures.errors > 0) {
    parts.push(
      `${formatRate(failures.errors)} errors (${formatRate(failures.timeouts)} timeouts` +
        `${failures.firstError === undefined ? '' : `; first: ${failures.firstError}`})`,
    );
  }
  if (failures.badAnswers > 0) {
    parts.push(`${formatRate(failures.badAnswers)} 2xx answers that did not rotate the token`);
  }
  if (measured.calls === 0) parts.push('no 2xx answer at all');
  return parts.join(', ');
}

/** Vends `count` ES256 tokens of tenant A through the issuer's gRPC Vend. */
/**
 * Vends `count` tokens of tenant A over gRPC with the realm's admin key, 64 calls in flight:
 * tokens no validator has seen yet.
 */
export async function vendPool(
  setup: Pick<RestSetup, 'stack' | 'issuerClient' | 'deadlineMs'>,
  count: number,
): Promise<string[]> {
  const { issuerClient, stack, deadlineMs } = setup;
  const request: issuerV1.VendRequest = {
    tenantId: stack.realm.tenantA,
    claimsJson: JSON.stringify(VEND_CLAIMS),
    keyId: '',
    timeToLiveSeconds: 0,
  };
  const tokens = new Array<string>(count);
  let next = 0;
  const worker = async () => {
    for (let index = next++; index < count; index = next++) {
      const response = await unaryCall(issuerClient.vend.bind(issuerClient), request, {
        deadlineMs,
        metadata: credentialsMetadata(stack.realm.keys.admin),
      });
      tokens[index] = response.token;
    }
  };
  await Promise.all(Array.from({ length: POOL_VEND_CONCURRENCY }, worker));
  return tokens;
}

/** Sends one request and resolves with its JSON answer; anything but a 200 is an error. */
async function expectJson(
  url: string,
  init: {
    readonly method?: string;
    readonly headers?: Readonly<Record<string, string>>;
    readonly body?: string;
  },
): Promise<unknown> {
  const response = await fetch(url, { ...init, signal: AbortSignal.timeout(10_000) });
  const text = await response.text();
  if (response.status !== 200) {
    throw new Error(`${init.method ?? 'GET'} ${url} answered ${response.status}: ${text}`);
  }
  return JSON.parse(text);
}

function stringField(value: unknown, field: string, what: string): string {
  const found =
    typeof value === 'object' && value !== null && field in value
      ? (value as Record<string, unknown>)[field]
      : undefined;
  if (typeof found !== 'string' || found === '')
    throw new Error(`${what} answered without ${field}`);
  return found;
}

function refreshTokenOf(body: string): string | undefined {
  try {
    const parsed: unknown = JSON.parse(body);
    const token =
      typeof parsed === 'object' && parsed !== null && 'refreshToken' in parsed
        ? parsed.refreshToken
        : undefined;
    return typeof token === 'string' && token !== '' ? token : undefined;
  } catch {
    return undefined;
  }
}
