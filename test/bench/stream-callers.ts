/**
 * The stream transport's figures of `BENCH_ONLY=peer` (peer.ts, {@link StreamTransportBench}):
 * gRPC callers as the gateway and the issuer are, calling through `StreamTransport` at
 * {@link CONNECTIONS} in flight, each figure beside a limit measured back to back with it:
 *
 * | figure | call | limit |
 * |---|---|---|
 * | stream echo | the bench's echo service carried by a multiplexed stream (stream-echo-server.ts) | — |
 * | Vend | `IssuerService.Vend` (ES256) on the stack's issuer | 1 / (stream echo cost + ES256 sign cost) |
 * | Rotate | `SessionService.Rotate`, a OneTimeUse chain per caller, on the stack's session service | 1 / (stream echo cost + Lua rotate cost) |
 *
 * A cost is 1 / the throughput of its own measurement: the stream echo at the same in-flight
 * count; ES256 signing by node:crypto `sign` (IEEE P1363), the route the issuer's Keyring
 * signs with, one at a time in this process; the session store's rotate script by EVALSHA
 * through ioredis on the stack's redis-server at the same in-flight count, with chains of its
 * own (refresh-chains.ts, `startDirectChains`). Measured in {@link ROUNDS} rounds; each figure
 * is the round with the median share of its limit.
 */
import { credentials } from '@grpc/grpc-js';
import { issuerV1, sessionV1 } from '@tessera/contracts';
import {
  type CallTransport,
  createCaller,
  createCallTransport,
  createChannelOptions,
} from '@tessera/grpc-runtime';
import { startChildServer } from './children.js';
import { EchoServiceService } from './echo-service.js';
import { measure } from './measure.js';
import {
  CONNECTIONS,
  STREAM_FIGURES,
  type StreamTransportBench,
  type StreamTransportFigure,
} from './peer.js';
import { createCryptoCases } from './raw-crypto.js';
import { startCallerSessionChains, startDirectChains } from './refresh-chains.js';
import { medianOfLimit, streamFigure } from './stream-figure.js';
import { benchVendRequest } from './vend-request.js';

/** About a Vend request and a little under its response, as the unary echo of run.ts sends. */
const ECHO_PAYLOAD = Buffer.alloc(256, 'e');
/** The raw signing route of the issuer's Keyring (jwt-core's jws-signer.ts). */
const SIGN_IMPLEMENTATION = 'node:crypto sign';
/** Rounds of the five measurements; the median round of each figure is reported. */
const ROUNDS = 3;

/** The stream transport's figures; `root` is where the stream echo server's script is. */
export function createStreamTransportBench(options: {
  readonly root: string;
}): StreamTransportBench {
  return {
    async measure({ stack, timing, deadlineMs }) {
      const { realm } = stack;
      const sign = (await createCryptoCases()).find(
        (entry) =>
          entry.alg === 'ES256' &&
          entry.op === 'sign' &&
          entry.implementation === SIGN_IMPLEMENTATION,
      );
      if (sign === undefined) throw new Error(`raw-crypto.ts has no ES256 ${SIGN_IMPLEMENTATION}`);

      const echoServer = await startChildServer(
        'stream echo server',
        ['--conditions=tessera-source', '--import', 'tsx', 'test/bench/stream-echo-server.ts'],
        { cwd: options.root },
      );
      const transports: CallTransport[] = [];
      const stream = (port: number, apiKey?: string) => {
        const transport = createCallTransport({
          kind: 'stream',
          target: `127.0.0.1:${port}`,
          metadata: apiKey === undefined ? {} : { authorization: apiKey },
        });
        transports.push(transport);
        return transport;
      };
      // Create, which starts the chains, is no part of a figure and goes over a unary client.
      const sessionClient = new sessionV1.SessionServiceClient(
        `127.0.0.1:${stack.session.port}`,
        credentials.createInsecure(),
        createChannelOptions(),
      );
      let closeDirect = async () => {};
      try {
        const defaults = { deadlineMs };
        const echo = createCaller(EchoServiceService, stream(echoServer.port), defaults);
        const issuer = createCaller(
          issuerV1.IssuerServiceService,
          stream(stack.issuer.port, realm.keys.admin),
          defaults,
        );
        const session = createCaller(
          sessionV1.SessionServiceService,
          stream(stack.session.port, stack.sessionApiKey),
          defaults,
        );
        const chains = { realm, clients: CONNECTIONS, deadlineMs };
        const direct = await startDirectChains({
          ...chains,
          redisUrl: stack.redis.url,
          pepper: stack.pepper,
        });
        closeDirect = direct.close;
        const rotate = await startCallerSessionChains({
          ...chains,
          client: sessionClient,
          apiKey: stack.sessionApiKey,
          caller: session,
        });
        const vendRequest = benchVendRequest(realm.tenantA);
        // The limit is made of ES256 signing; tenant A must really sign with ES256.
        const alg = headerAlg((await issuer.vend(vendRequest)).token);
        if (alg !== 'ES256') throw new Error(`tenant A signs with ${alg}, expected ES256`);

        // Back to back, so every limit is measured under the same load from elsewhere; in
        // rounds, since one round's ratio moves by tens of points with this VM's speed.
        const rounds: StreamTransportFigure[][] = [];
        for (let round = 1; round <= ROUNDS; round++) {
          const of = `(round ${round} of ${ROUNDS})`;
          const echoed = await measure(
            timing,
            `stream echo ${of}`,
            () => echo.echo(ECHO_PAYLOAD),
            CONNECTIONS,
          );
          const signed = await measure(
            timing,
            `ES256 sign (${SIGN_IMPLEMENTATION}) ${of}`,
            sign.run,
            1,
          );
          const vended = await measure(
            timing,
            `Vend over the stream ${of}`,
            () => issuer.vend(vendRequest),
            CONNECTIONS,
          );
          const scripted = await measure(
            timing,
            `Lua rotate via ioredis ${of}`,
            direct.rotate,
            CONNECTIONS,
          );
          const rotated = await measure(
            timing,
            `Rotate over the stream ${of}`,
            rotate.rotate,
            CONNECTIONS,
          );
          const [vendLabel, rotateLabel] = STREAM_FIGURES;
          rounds.push([
            streamFigure(vendLabel, vended, echoed, {
              name: 'ES256 sign',
              opsPerSecond: signed.opsPerSecond,
            }),
            streamFigure(rotateLabel, rotated, echoed, {
              name: 'Lua rotate',
              opsPerSecond: scripted.opsPerSecond,
            }),
          ]);
        }
        return STREAM_FIGURES.map((_, index) =>
          medianOfLimit(rounds.map((figures) => figures[index])),
        );
      } finally {
        for (const transport of transports) transport.close();
        sessionClient.close();
        await closeDirect();
        await echoServer.stop();
      }
    },
  };
}

function headerAlg(token: string): unknown {
  const header: unknown = JSON.parse(
    Buffer.from(token.split('.')[0] ?? '', 'base64url').toString('utf8'),
  );
  return typeof header === 'object' && header !== null && 'alg' in header ? header.alg : undefined;
}
