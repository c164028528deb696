/**
 * Entry point of the echo server process. It runs apart from the load generator, as the
 * issuer does, so that the echo limit and the issuer figures are measured the same way.
 * Prints `{"port":N}` once listening on 127.0.0.1; exits on SIGTERM, SIGINT or when its
 * parent closes stdin.
 */
import { Server, ServerCredentials } from '@grpc/grpc-js';
import { EchoServiceService, echoHandlers } from './echo-service.js';

const server = new Server();
server.addService(EchoServiceService, echoHandlers);
const port = await new Promise<number>((resolve, reject) =>
  server.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
    error ? reject(error) : resolve(bound),
  ),
);
process.stdout.write(`${JSON.stringify({ port })}\n`);

const stop = () => server.tryShutdown(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// An orphaned echo server would hold its port forever if the bench were killed outright.
process.stdin.once('end', stop);
process.stdin.resume();
