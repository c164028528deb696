import { Writable } from 'node:stream';
import pino from 'pino';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { type FakeBackendGateway, startFakeBackendGateway } from './support-fusionauth.js';

/**
 * Request ids at the REST gateway: the caller's X-Request-Id when it is safe to pass on (at
 * most 128 characters of [A-Za-z0-9._:-]), a fresh UUID otherwise; echoed in the answer,
 * logged, sent to the backends as x-request-id metadata and, on refresh, as request_id (the
 * idempotency key).
 */

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

let f: FakeBackendGateway;
const lines: Record<string, unknown>[] = [];
beforeAll(async () => {
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(JSON.parse(chunk.toString('utf8')) as Record<string, unknown>);
      done();
    },
  });
  f = await startFakeBackendGateway({ logger: pino({ level: 'debug' }, sink) });
  f.answer('issuer.refresh', () => ({
    token: 't',
    refreshToken: 'r2',
    refreshTokenId: 'rid',
    tokenExpirationInstant: 1n,
    refreshTokenExpirationInstant: 0n,
    applicationId: f.realm.applicationA,
  }));
  f.answer('issuer.getPublicKeys', () => ({ publicKeys: {} }));
});
afterAll(() => f.close());
beforeEach(() => {
  f.calls.length = 0;
  lines.length = 0;
});

const refresh = (requestId?: string | string[]) =>
  f.gateway.inject({
    method: 'POST',
    url: '/api/jwt/refresh',
    headers: requestId === undefined ? {} : { 'x-request-id': requestId },
    payload: { refreshToken: 'r1' },
  });

/** The id the gateway used: echoed, in the backend's metadata and request, and in the log. */
async function idUsedFor(requestId?: string | string[]): Promise<string> {
  const response = await refresh(requestId);
  expect(response.statusCode).toBe(200);
  const echoed = response.headers['x-request-id'];
  expect(typeof echoed).toBe('string');
  expect(f.calls).toHaveLength(1);
  expect(f.calls[0]?.requestId).toBe(echoed);
  expect(f.calls[0]?.request).toMatchObject({ requestId: echoed });
  expect(lines.find((line) => line.msg === 'request finished')).toMatchObject({ reqId: echoed });
  f.calls.length = 0;
  lines.length = 0;
  return String(echoed);
}

describe('X-Request-Id', () => {
  it.each([
    ['a UUID', 'b3a1f1de-5b61-4d7e-9c55-0f7d3f0b5a11'],
    ['an opaque id with every allowed character', 'client:retry-1.A_z.09'],
    ['exactly 128 characters', 'a'.repeat(128)],
  ])('accepts %s and uses it everywhere', async (_name, requestId) => {
    expect(await idUsedFor(requestId)).toBe(requestId);
  });

  it.each([
    ['empty', ''],
    ['129 characters', 'a'.repeat(129)],
    ['a space', 'retry 1'],
    ['a slash (not in the allowed set)', 'a/b'],
    ['a quote (log or header injection)', 'a"b'],
    ['a percent-encoded newline', 'a%0d%0aSet-Cookie:x'],
    ['non-ASCII', 'r\u00e9essai'],
  ])('replaces %s with a new UUID', async (_name, requestId) => {
    const used = await idUsedFor(requestId);
    expect(used).toMatch(UUID);
    expect(used).not.toBe(requestId);
  });

  it('replaces a repeated header with a new UUID (no choosing between two)', async () => {
    expect(await idUsedFor(['one', 'two'])).toMatch(UUID);
  });

  it('generates a new UUID per request when none is sent: unique, never a counter', async () => {
    const ids = new Set<string>();
    for (let i = 0; i < 20; i++) ids.add(await idUsedFor());
    expect(ids.size).toBe(20);
    for (const id of ids) expect(id).toMatch(UUID);
  });

  it('is echoed on every route, errors and unknown routes included', async () => {
    const keys = await f.gateway.inject({
      method: 'GET',
      url: '/api/jwt/public-key',
      headers: { 'x-request-id': 'keys-1' },
    });
    expect(keys.headers['x-request-id']).toBe('keys-1');
    expect(f.calls[0]?.requestId).toBe('keys-1');
    const missing = await f.gateway.inject({
      method: 'GET',
      url: '/no/such/route',
      headers: { 'x-request-id': 'missing-1' },
    });
    expect(missing.statusCode).toBe(404);
    expect(missing.headers['x-request-id']).toBe('missing-1');
    const bad = await f.gateway.inject({
      method: 'POST',
      url: '/api/jwt/refresh',
      headers: { 'x-request-id': 'bad-1' },
      payload: {},
    });
    expect(bad.statusCode).toBe(400);
    expect(bad.headers['x-request-id']).toBe('bad-1');
  });
});
