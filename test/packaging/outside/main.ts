/**
 * A program of another repository, using tessera only through the installed packages
 * (test/packaging/install-outside.test.ts copies it into a scratch project, type-checks it
 * against the packed tarballs with tsc and runs it against a live stack). It vends a token,
 * validates it through the issuer (over the unary and the stream transport) and in process, and
 * prints what it saw as one JSON line.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { credentials, Metadata } from '@grpc/grpc-js';
import { createIssuerClient, createStreamTransport, TesseraClientError } from '@tessera/client';
import { systemClock } from '@tessera/clock';
import { defaultProtoRoot, issuerV1, SERVICE_PROTO_FILES, sessionV1 } from '@tessera/contracts';
import { createLocalValidator } from '@tessera/local-validation';
import pino from 'pino';

function required(name: string): string {
  const value = process.env[name];
  if (value === undefined || value === '') throw new Error(`${name} is required`);
  return value;
}

const issuerAddress = required('ISSUER_ADDRESS');
const sessionAddress = required('SESSION_ADDRESS');
const apiKey = required('TESSERA_API_KEY');
const tenantId = required('TENANT_ID');

const issuer = createIssuerClient({
  address: issuerAddress,
  tls: false,
  apiKey,
  deadlineMs: 5_000,
});
const { token } = await issuer.vend({
  tenantId,
  claimsJson: JSON.stringify({ sub: 'outside-user' }),
  timeToLiveSeconds: 300,
});
const remote = await issuer.validate({ tenantId, token });

// @ts-expect-error The request types are real: an unknown field does not compile.
await issuer.validate({ tenantId, token, notAField: true }).catch(() => undefined);

let denied = '';
try {
  await issuer.startSession({ tenantId, userId: 'u' }, { metadata: { authorization: 'wrong' } });
} catch (error) {
  if (error instanceof TesseraClientError) denied = error.code;
}

// The same calls multiplexed over the issuer's MultiplexService streams; WatchKeys, a
// server-stream, goes over the transport's grpc fallback.
const overStream = createIssuerClient({
  transport: createStreamTransport({ address: issuerAddress, tls: false, apiKey }),
  apiKey,
});
const streamed = await overStream.vend({
  tenantId,
  claimsJson: JSON.stringify({ sub: 'outside-stream-user' }),
  timeToLiveSeconds: 300,
});
const streamValidated = await overStream.validate({ tenantId, token: streamed.token });
let streamDenied = '';
try {
  await overStream.startSession(
    { tenantId, userId: 'u' },
    { metadata: { authorization: 'wrong' } },
  );
} catch (error) {
  if (error instanceof TesseraClientError) streamDenied = error.code;
}
let streamKeysRevision = 0n;
const stopKeys = new AbortController();
for await (const update of overStream.watchKeys({}, { signal: stopKeys.signal })) {
  streamKeysRevision = update.revision;
  stopKeys.abort();
}
overStream.close();

// The in-process validator follows the issuer's keys and the session service's revocations.
const metadata = () => {
  const m = new Metadata();
  m.set('authorization', apiKey);
  return m;
};
const issuerStub = new issuerV1.IssuerServiceClient(issuerAddress, credentials.createInsecure());
const sessionStub = new sessionV1.SessionServiceClient(
  sessionAddress,
  credentials.createInsecure(),
);
const validator = createLocalValidator({
  issuer: issuerStub,
  session: sessionStub,
  metadata,
  clock: systemClock,
  logger: pino({ level: 'silent' }),
});
await validator.ready;
const local = await validator.validate(token);
const forged = await validator.validate(`${token.slice(0, -4)}AAAA`);
validator.stop();
issuerStub.close();
sessionStub.close();
issuer.close();

const protoRoot = defaultProtoRoot();
console.log(
  JSON.stringify({
    remoteValid: remote.valid,
    remoteSub: JSON.parse(remote.claimsJson || '{}').sub,
    denied,
    streamValid: streamValidated.valid,
    streamSub: JSON.parse(streamValidated.claimsJson || '{}').sub,
    streamDenied,
    streamKeysSeen: streamKeysRevision > 0n,
    localValid: local.valid,
    localTenant: local.valid ? local.tenantId : undefined,
    forgedReason: forged.valid ? undefined : forged.reason,
    protosShipped: SERVICE_PROTO_FILES.every((file) => existsSync(join(protoRoot, file))),
    protoRoot,
  }),
);
