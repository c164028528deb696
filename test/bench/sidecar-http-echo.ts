/**
 * Entry point of the bare HTTP echo the sidecar's auth-request figure is held to: plain
 * node:http, as the sidecar's listener is, answering every request 200 with an empty body and
 * a few short headers (the shape of an auth-request answer). Prints `{"port":N}` once listening
 * on 127.0.0.1; exits on SIGTERM, SIGINT or when its parent closes stdin.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';

const HEADERS = {
  'cache-control': 'no-store',
  'x-tessera-subject': 'bench-user',
  'x-tessera-tenant': '00000000-0000-4000-8000-000000000000',
  'x-tessera-roles': 'user',
  'content-length': 0,
};

const server = createServer((request, response) => {
  request.resume();
  response.writeHead(200, HEADERS);
  response.end();
});
await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
process.stdout.write(`${JSON.stringify({ port: (server.address() as AddressInfo).port })}\n`);

const stop = () => {
  server.close(() => process.exit(0));
  server.closeAllConnections();
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// An orphaned echo server would hold its port forever if the bench were killed outright.
process.stdin.once('end', stop);
process.stdin.resume();
