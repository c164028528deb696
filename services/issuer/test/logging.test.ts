import { readFileSync } from 'node:fs';
import { credentials, Metadata } from '@grpc/grpc-js';
import { ManualClock } from '@tessera/clock';
import { issuerV1 } from '@tessera/contracts';
import { readErrorDetails, type UnaryMethod, unaryCall } from '@tessera/grpc-runtime';
import { type KeyFileEntry, Keyring } from '@tessera/jwt-core';
import { createLogger } from '@tessera/logger';
import {
  generateKeys,
  randomApiKey,
  type StandardRealm,
  writeStandardRealm,
} from '@tessera/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createIssuerApp, type IssuerApp } from '../src/app.js';

// README, Token rules: no API key, token, bearer token or private key reaches a log, even at trace.

const REFUSED = 'configuration reload refused; keeping the previous realm and keys';
const PRIVATE_JWK_MEMBERS = ['d', 'p', 'q', 'dp', 'dq', 'qi', 'oth', 'k'] as const;

let realm: StandardRealm;
let app: IssuerApp;
let client: issuerV1.IssuerServiceClient;
const written: string[] = [];
/** Every secret handed to the issuer or produced by it, by what it is. */
const secrets = new Map<string, string>();

const logText = () => written.join('');
const records = () =>
  logText()
    .split('\n')
    .filter((line) => line !== '')
    .map((line) => JSON.parse(line) as Record<string, unknown>);

function keepSecret(what: string, value: string): void {
  secrets.set(what, value);
}

function keepToken(what: string, token: string): void {
  keepSecret(what, token);
  keepSecret(`${what} (signature)`, token.split('.')[2] ?? token);
}

function keepKeyMaterial(entries: readonly KeyFileEntry[]): void {
  for (const entry of entries) {
    for (const member of PRIVATE_JWK_MEMBERS) {
      const value = entry.jwk[member];
      if (typeof value === 'string') keepSecret(`${entry.kid} ${member}`, value);
    }
  }
}

/** The secrets found in the captured log, by what they are. */
const leaked = () =>
  [...secrets].filter(([, value]) => logText().includes(value)).map(([what]) => what);

function metadataOf(authorization: string, header = 'authorization'): Metadata {
  const metadata = new Metadata();
  metadata.set(header, authorization);
  return metadata;
}

function call<Req, Res>(
  method: 'vend' | 'validate' | 'generate',
  request: Req,
  metadata: Metadata,
): Promise<Res> {
  const fn = (client[method] as unknown as UnaryMethod<Req, Res>).bind(client);
  return unaryCall(fn, request, { deadlineMs: 10_000, metadata });
}

async function vend(claims: Record<string, unknown>, metadata: Metadata): Promise<string> {
  const { token } = await call<issuerV1.VendRequest, issuerV1.VendResponse>(
    'vend',
    {
      tenantId: realm.tenantA,
      claimsJson: JSON.stringify(claims),
      keyId: '',
      timeToLiveSeconds: 0,
    },
    metadata,
  );
  keepToken(`vended token ${JSON.stringify(claims)}`, token);
  return token;
}

function validate(token: string): Promise<issuerV1.ValidateResponse> {
  return call<issuerV1.ValidateRequest, issuerV1.ValidateResponse>(
    'validate',
    { tenantId: realm.tenantA, token, audience: '' },
    metadataOf(realm.keys.admin),
  );
}

async function failureReason(promise: Promise<unknown>): Promise<string | undefined> {
  try {
    await promise;
  } catch (error) {
    const details = readErrorDetails(error);
    if (details === undefined) throw error;
    return details.reason;
  }
  throw new Error('expected the call to fail');
}

beforeAll(async () => {
  realm = await writeStandardRealm();
  for (const [name, key] of Object.entries(realm.keys)) keepSecret(`API key ${name}`, key);
  keepKeyMaterial(realm.keyEntries);
  app = await createIssuerApp({
    realmFile: realm.realmFile,
    logger: createLogger({
      service: 'issuer',
      level: 'trace',
      destination: { write: (line: string) => void written.push(line) },
    }),
    clock: new ManualClock(Date.UTC(2031, 5, 1, 12, 0, 0)),
  });
  const port = await app.grpc.listen('127.0.0.1:0');
  client = new issuerV1.IssuerServiceClient(`127.0.0.1:${port}`, credentials.createInsecure());
});

afterAll(async () => {
  client?.close();
  await app?.stop({ graceMs: 1000 });
  realm?.cleanup();
});

describe('issuer logs', () => {
  it('hold no API key, token, bearer token or private key, at trace level', async () => {
    // Vend with the API key in each shape clients send it.
    const token = await vend({ sub: 'user-1' }, metadataOf(realm.keys.admin));
    await vend({ sub: 'user-2' }, metadataOf(realm.keys.plain, 'x-api-key'));
    const basic = Buffer.from(`apikey:${realm.keys.plain}`).toString('base64');
    keepSecret('Basic credentials', basic);
    await vend({ sub: 'user-3' }, metadataOf(`Basic ${basic}`));

    expect(await validate(token)).toMatchObject({ valid: true });
    const [header, payload, signature] = token.split('.');
    const forgedPayload = Buffer.from(JSON.stringify({ sub: 'admin' })).toString('base64url');
    const tampered = `${header}.${forgedPayload}.${signature}`;
    keepToken('tampered token', tampered);
    expect(await validate(tampered)).toMatchObject({ valid: false });
    const garbage = `${header}.${payload}.${'A'.repeat(86)}`;
    keepToken('token with a bad signature', garbage);
    expect(await validate(garbage)).toMatchObject({ valid: false });

    const wrongKey = randomApiKey();
    keepSecret('unknown API key', wrongKey);
    expect(await failureReason(vend({ sub: 'x' }, metadataOf(wrongKey)))).toBe('UNAUTHENTICATED');

    // A user's token with the Generate scope, as the tenant's session flows sign them.
    const iat = Math.floor(Date.UTC(2031, 5, 1, 12, 0, 0) / 1000);
    const bearer = await (await Keyring.fromEntries(realm.keyEntries)).sign('a-es256', {
      iss: realm.issuerA,
      sub: 'neostore',
      scope: 'AuthenticationToken.Write',
      iat,
      exp: iat + 600,
    });
    keepToken('bearer token', bearer);
    const { tokens } = await call<issuerV1.GenerateRequest, issuerV1.GenerateResponse>(
      'generate',
      {
        tenantId: realm.tenantA,
        claimSets: [{ claims: [{ type: 'sub', value: 'generated', valueType: '' }] }],
        validityDuration: '01:00:00',
      },
      metadataOf(`Bearer ${bearer}`),
    );
    for (const [i, generated] of tokens.entries()) keepToken(`generated token ${i}`, generated);
    expect(tokens).toHaveLength(1);
    expect(
      await failureReason(
        call(
          'generate',
          { tenantId: realm.tenantA, claimSets: [], validityDuration: '' },
          metadataOf(`Bearer ${tampered}`),
        ),
      ),
    ).toBe('UNAUTHENTICATED');

    // A reload that brings a new API key and a new signing key, then one that is refused.
    const rotatedKey = randomApiKey();
    keepSecret('API key added by the reload', rotatedKey);
    const newKeys = await generateKeys([['a-es256-next', 'ES256', 'next']]);
    keepKeyMaterial(newKeys);
    const realmText = `${readFileSync(realm.realmFile, 'utf8')}  - { id: rotated, key: ${rotatedKey} }\n`;
    realm.writeKeys([...realm.keyEntries, ...newKeys]);
    realm.writeRealm(realmText);
    expect(await app.state.reload()).toBe(true);
    await vend({ sub: 'after-reload' }, metadataOf(rotatedKey));
    realm.writeRealm(`${realmText}surprise: true\n`);
    expect(await app.state.reload()).toBe(false);
    realm.writeRealm(realmText);
    expect(await app.state.reload()).toBe(true);

    // The log is not empty: every call and reload above left its line.
    const lines = records();
    const finished = (rpc: string, code: string) =>
      lines.some(
        (r) => r.msg === 'rpc finished' && String(r.rpc).endsWith(`/${rpc}`) && r.code === code,
      );
    expect(finished('Vend', 'OK')).toBe(true);
    expect(finished('Vend', 'UNAUTHENTICATED')).toBe(true);
    expect(finished('Validate', 'OK')).toBe(true);
    expect(finished('Generate', 'OK')).toBe(true);
    expect(finished('Generate', 'UNAUTHENTICATED')).toBe(true);
    expect(
      lines.some((r) => r.msg === 'token did not validate' && r.reason === 'BAD_SIGNATURE'),
    ).toBe(true);
    expect(lines.filter((r) => r.msg === 'realm and keys reloaded')).toHaveLength(2);
    expect(lines.some((r) => r.msg === REFUSED)).toBe(true);

    expect(leaked()).toEqual([]);
  });

  it('keep the API keys of a realm that does not parse out of the refused reload', async () => {
    const before = readFileSync(realm.realmFile, 'utf8');
    // A missing comma right after the key: YAML reports it with an excerpt of the line.
    const typo = before.replace(`key: ${realm.keys.admin},`, `key: ${realm.keys.admin}`);
    expect(typo).not.toBe(before);
    realm.writeRealm(typo);
    try {
      expect(await app.state.reload()).toBe(false);
    } finally {
      realm.writeRealm(before);
    }
    const refused = records().filter((r) => r.msg === REFUSED);
    expect(refused.at(-1)?.err).toMatchObject({ code: 'INVALID_ARGUMENT', field: '(yaml)' });
    expect(leaked()).toEqual([]);
  });
});
