/**
 * Entry point of the HTTP echo server process: the limit the REST gateway's figures are held
 * to. It is fastify with its defaults, as the gateway is, and does nothing per request but
 * answer: `GET /echo` with a fixed JSON body the size of a validation answer, `POST /echo`
 * with the JSON body it was sent (parsed and serialized again, as the gateway's POST routes
 * do). Prints `{"port":N}` once listening on 127.0.0.1; exits on SIGTERM, SIGINT or when its
 * parent closes stdin.
 */
import Fastify from 'fastify';

/** The shape and size of what `GET /api/jwt/validate` answers for a vended token. */
const ANSWER = {
  jwt: {
    iss: 'https://a.example',
    sub: 'bench-user',
    roles: ['user'],
    iat: 1_900_000_000,
    exp: 1_900_000_600,
    jti: '0b7c5d1e-3f4a-4b6c-9d8e-7f6a5b4c3d2e',
    amr: ['none'],
  },
};

const app = Fastify({ logger: false });
app.get('/echo', async () => ANSWER);
app.post('/echo', async (request) => request.body);

const address = await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write(`${JSON.stringify({ port: Number(new URL(address).port) })}\n`);

const stop = () => void app.close().then(() => process.exit(0));
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
// An orphaned echo server would hold its port forever if the bench were killed outright.
process.stdin.once('end', stop);
process.stdin.resume();
