/**
 * Entry point of the sidecar memory figure's process: the sidecar's validator
 * (`createLocalValidator` of @tessera/local-validation, with the sidecar's default cache of
 * 10,000 entries) fed by the stack's issuer and session service, driven in process through
 * MEMORY_VALIDATIONS validations cycling through the tokens of MEMORY_TOKENS_FILE (a JSON
 * array), because a million calls over a socket would take minutes on a small machine. Prints
 * one JSON line: the RSS once keys and revocations were in, after the validations, and after
 * a full garbage collection (what the validator retains).
 */
import { readFileSync } from 'node:fs';
import { credentials } from '@grpc/grpc-js';
import { systemClock } from '@tessera/clock';
import { loadRealmFile } from '@tessera/config';
import { issuerV1, sessionV1 } from '@tessera/contracts';
import { createChannelOptions, credentialsMetadata } from '@tessera/grpc-runtime';
import { createLocalValidator } from '@tessera/local-validation';
import pino from 'pino';

function requireEnv(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
}

const tokens: unknown = JSON.parse(readFileSync(requireEnv('MEMORY_TOKENS_FILE'), 'utf8'));
if (!Array.isArray(tokens) || !tokens.every((token) => typeof token === 'string')) {
  throw new Error('MEMORY_TOKENS_FILE must hold a JSON array of tokens');
}
const validations = Number(requireEnv('MEMORY_VALIDATIONS'));
const realm = loadRealmFile(requireEnv('TESSERA_CONFIG'));
const issuer = new issuerV1.IssuerServiceClient(
  requireEnv('ISSUER_ADDRESS'),
  credentials.createInsecure(),
  createChannelOptions(),
);
const session = new sessionV1.SessionServiceClient(
  requireEnv('SESSION_ADDRESS'),
  credentials.createInsecure(),
  createChannelOptions(),
);
const apiKey = requireEnv('SIDECAR_API_KEY');
const validator = createLocalValidator({
  issuer,
  session,
  metadata: () => credentialsMetadata(apiKey),
  clock: systemClock,
  logger: pino({ level: 'silent' }),
  maxTokenLength: realm.document.limits.maxTokenLength,
  cacheSize: 10_000,
});
await validator.ready;
const rssReady = process.memoryUsage().rss;
const started = performance.now();
let refused = 0;
for (let index = 0; index < validations; index++) {
  const result = await validator.validate(tokens[index % tokens.length] as string);
  if (!result.valid) refused++;
}
const seconds = (performance.now() - started) / 1000;
const memory = process.memoryUsage();
const state = validator.state();
// What the validator retains, garbage aside: the process runs with --expose-gc for this.
const collect = (globalThis as { gc?: () => void }).gc;
collect?.();
const collected = process.memoryUsage();
process.stdout.write(
  `${JSON.stringify({
    distinct: tokens.length,
    validations,
    refused,
    seconds,
    rssReady,
    rssAfter: memory.rss,
    heapUsed: memory.heapUsed,
    rssAfterGc: collected.rss,
    heapUsedAfterGc: collected.heapUsed,
    cacheHits: state.cacheHits,
    cacheMisses: state.cacheMisses,
  })}\n`,
);
validator.stop();
issuer.close();
session.close();
process.exit(0);
