/**
 * Entry point of the stream echo server process: the bench's echo service (echo-service.ts)
 * served as the issuer and the session service serve theirs, by `createGrpcServer` with the
 * full call pipeline and a MultiplexService, so a call carried by a stream costs here what
 * the transport and the pipeline cost a real carried call, and nothing else. Prints
 * `{"port":N}` once listening on 127.0.0.1; exits on SIGTERM, SIGINT or when its parent
 * closes stdin.
 */
import { createGrpcServer, registerService } from '@tessera/grpc-runtime';
import { createLogger } from '@tessera/logger';
import { EchoServiceService } from './echo-service.js';

// The level the bench stack runs its services at: per-call lines are debug, so none is written.
const logger = createLogger({ service: 'bench-stream-echo', level: 'info' });
const server = createGrpcServer({
  logger,
  services: [registerService(EchoServiceService, { echo: async (request) => request })],
  // Any stream is accepted: a stream is authenticated once when it opens, so the key check
  // is no part of the per-call cost this server measures.
  multiplex: { authenticate: () => {} },
});
const port = await server.listen('127.0.0.1:0');
process.stdout.write(`${JSON.stringify({ port })}\n`);

const stop = () => void server.shutdown({ graceMs: 1_000 }).then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// An orphaned echo server would hold its port forever if the bench were killed outright.
process.stdin.once('end', stop);
process.stdin.resume();
