#!/usr/bin/env node
// A health check for container engines that run a command (compose, ECS, Nomad), in an image
// with no shell, curl or grpc_health_probe:
//   node /app/healthcheck.mjs grpc 127.0.0.1:50051      grpc.health.v1 Check → SERVING
//   node /app/healthcheck.mjs http http://127.0.0.1:8080/readyz    → 200
// Exits 0 when healthy, 1 otherwise (with the reason on stderr). Kubernetes probes natively.

import { BinaryReader, BinaryWriter } from '@bufbuild/protobuf/wire';
import { Client, credentials } from '@grpc/grpc-js';

const TIMEOUT_MS = 3000;
const [kind, target] = process.argv.slice(2);

function done(healthy, reason) {
  if (!healthy) process.stderr.write(`unhealthy: ${reason}\n`);
  process.exit(healthy ? 0 : 1);
}

// grpc.health.v1 (proto/grpc/health/v1/health.proto): HealthCheckRequest { string service = 1 },
// HealthCheckResponse { ServingStatus status = 1 } with SERVING = 1. The script sits beside the
// bundles, not the contracts package, so it encodes these two one-field messages itself.
const HEALTH_CHECK_PATH = '/grpc.health.v1.Health/Check';
const STATUS_NAMES = ['UNKNOWN', 'SERVING', 'NOT_SERVING', 'SERVICE_UNKNOWN'];

function encodeCheckRequest({ service }) {
  const writer = new BinaryWriter();
  if (service !== '') writer.uint32(10).string(service);
  return Buffer.from(writer.finish());
}

function decodeCheckResponse(bytes) {
  const reader = new BinaryReader(bytes);
  let status = 0;
  while (reader.pos < reader.len) {
    const [field, wireType] = reader.tag();
    if (field === 1 && wireType === 0) status = reader.int32();
    else reader.skip(wireType);
  }
  return { status: STATUS_NAMES[status] ?? String(status) };
}

if (kind === 'grpc' && target !== undefined) {
  const client = new Client(target, credentials.createInsecure());
  client.makeUnaryRequest(
    HEALTH_CHECK_PATH,
    encodeCheckRequest,
    decodeCheckResponse,
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
