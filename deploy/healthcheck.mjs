#!/usr/bin/env node
// A health check for container engines that run a command (compose, ECS, Nomad), in an image
// with no shell, curl or grpc_health_probe:
//   node /app/healthcheck.mjs grpc 127.0.0.1:50051      grpc.health.v1 Check → SERVING
//   node /app/healthcheck.mjs http http://127.0.0.1:8080/readyz    → 200
// Exits 0 when healthy, 1 otherwise (with the reason on stderr). Kubernetes probes natively.
import { Client, credentials } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

const TIMEOUT_MS = 3000;
const [kind, target] = process.argv.slice(2);

function done(healthy, reason) {
  if (!healthy) process.stderr.write(`unhealthy: ${reason}\n`);
  process.exit(healthy ? 0 : 1);
}

if (kind === 'grpc' && target !== undefined) {
  const check = healthService.Check;
  const client = new Client(target, credentials.createInsecure());
  client.makeUnaryRequest(
    check.path,
    check.requestSerialize,
    check.responseDeserialize,
    { service: '' },
    { deadline: Date.now() + TIMEOUT_MS },
    (error, response) => {
      client.close();
      if (error) done(false, error.message);
      else done(response?.status === 'SERVING', `status ${response?.status}`);
    },
  );
} else if (kind === 'http' && target !== undefined) {
  fetch(target, { signal: AbortSignal.timeout(TIMEOUT_MS) }).then(
    (response) => done(response.status === 200, `HTTP ${response.status}`),
    (error) => done(false, String(error)),
  );
} else {
  process.stderr.write('usage: healthcheck.mjs grpc <host:port> | http <url>\n');
  process.exit(2);
}
