import { credentials, Metadata, type ServiceError, status } from '@grpc/grpc-js';
import { ManualClock } from '@tessera/clock';
import { RealmSource } from '@tessera/config';
import { issuerV1, sessionV1 } from '@tessera/contracts';
import { type ErrorCode, TesseraError } from '@tessera/errors';
import {
  clientTransport,
  createCaller,
  STATUS_BY_ERROR_CODE,
  toServiceError,
} from '@tessera/grpc-runtime';
import type { LocalValidator } from '@tessera/local-validation';
import { type StandardRealm, writeStandardRealm } from '@tessera/testing';
import type { FastifyInstance } from 'fastify';
import pino from 'pino';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildGateway } from '../../services/gateway/src/app.js';
import { createGatewayContext } from '../../services/gateway/src/gateway-context.js';

/**
 * Every gRPC status a backend can fail with, on every route of the Neostore, webMethods and
 * discovery APIs: the HTTP status each API documents and the body shape it speaks. The
 * backend is a fake issuer that fails every call with the status under test, either as a
 * tessera service sends it (google.rpc.Status details, ErrorInfo reason, BadRequest field)
 * or bare, as grpc-js reports a transport failure.
 */

const log = pino({ level: 'silent' });

/** The gateway's documented table, written out: the test must not derive it from the code. */
const DOCUMENTED: Readonly<Record<status, number>> = {
  [status.OK]: 500, // an error that claims OK is a broken backend
  [status.CANCELLED]: 499,
  [status.UNKNOWN]: 500,
  [status.INVALID_ARGUMENT]: 400,
  [status.DEADLINE_EXCEEDED]: 504,
  [status.NOT_FOUND]: 404,
  [status.ALREADY_EXISTS]: 409,
  [status.PERMISSION_DENIED]: 403,
  [status.RESOURCE_EXHAUSTED]: 429,
  [status.FAILED_PRECONDITION]: 400,
  [status.ABORTED]: 409,
  [status.OUT_OF_RANGE]: 400,
  [status.UNIMPLEMENTED]: 501,
  [status.INTERNAL]: 500,
  [status.UNAVAILABLE]: 503,
  [status.DATA_LOSS]: 500,
  [status.UNAUTHENTICATED]: 401,
};

const CODES = Object.keys(DOCUMENTED).map(Number) as status[];
const HIDDEN = 'the request could not be completed';
const WEBMETHODS_PREFIX = 'API Gateway encountered an error. Error Message: ';

/** The tessera reason a service would send with `code` (INTERNAL when no reason maps to it). */
function reasonFor(code: status): ErrorCode {
  const match = Object.entries(STATUS_BY_ERROR_CODE).find(([, mapped]) => mapped === code);
  return (match?.[0] as ErrorCode | undefined) ?? 'INTERNAL';
}

/** A failure as a tessera service sends it: status details with reason and field. */
function tesseraFailure(code: status, field?: string): ServiceError {
  const reason = reasonFor(code);
  const sent = toServiceError(
    new TesseraError(reason, `${reason} (secret detail)`, field ? { field } : {}),
    log,
  );
  // Rebadged with the code under test, for the statuses no tessera reason produces.
  return Object.assign(new Error(sent.details), {
    code,
    details: sent.details,
    metadata: sent.metadata,
  });
}

/** A failure as grpc-js reports one the peer did not describe (connection refused, reset). */
function bareFailure(code: status): ServiceError {
  return Object.assign(new Error('bare'), {
    code,
    details: 'bare failure',
    metadata: new Metadata(),
  });
}

let failure: ServiceError = bareFailure(status.UNAVAILABLE);
function fail(
  _request: unknown,
  _metadata: Metadata,
  _options: unknown,
  callback: (error: ServiceError) => void,
) {
  setImmediate(() => callback(failure));
  return { cancel() {} };
}
const fakeIssuer = { generate: fail, issueApplicationToken: fail, getJwks: fail };

let realm: StandardRealm;
let realmSource: RealmSource;
const started: { app: FastifyInstance; close?: () => void }[] = [];

async function gateway(issuer: issuerV1.IssuerServiceClient): Promise<string> {
  const app = await buildGateway({
    context: createGatewayContext({
      issuer: createCaller(issuerV1.IssuerServiceService, clientTransport(issuer), {
        deadlineMs: 1000,
      }),
      session: createCaller(sessionV1.SessionServiceService, clientTransport({}), {
        deadlineMs: 1000,
      }),
      validator: {
        ready: Promise.resolve(),
        isReady: () => true,
        validate: () => Promise.reject(new Error('unused')),
        validateCached: () => undefined,
        revocationsCurrentAt: () => undefined,
        state: () => ({
          keyRevision: undefined,
          revocationsCurrentAt: undefined,
          cacheHits: 0,
          cacheMisses: 0,
          cacheSize: 0,
        }),
        stop() {},
      } as LocalValidator,
      realm: () => realmSource.current,
      clock: new ManualClock(Date.now()),
      deadlineMs: 2000,
      serviceApiKey: 'service-key-0123456789',
      publicUrl: '',
    }),
    logger: log,
    registry: new Registry(),
    bodyLimitBytes: 1024 * 1024,
    ready: async () => true,
  });
  started.push({ app });
  return app.listen({ host: '127.0.0.1', port: 0 });
}

let fakeUrl: string;
beforeAll(async () => {
  realm = await writeStandardRealm();
  realmSource = new RealmSource(realm.realmFile, log);
  fakeUrl = await gateway(fakeIssuer as unknown as issuerV1.IssuerServiceClient);
});
afterAll(async () => {
  for (const { app } of started) await app.close();
  realm.cleanup();
});

type Flavor = 'neostore' | 'webmethods' | 'fusionauth';

interface RouteCase {
  readonly name: string;
  readonly flavor: Flavor;
  readonly overrides?: Partial<Record<status, number>>;
  request(base: string): Promise<Response>;
}

const ROUTES: readonly RouteCase[] = [
  {
    name: 'POST /api/{tenantId}/tokens/generate',
    flavor: 'neostore',
    request: (base) =>
      fetch(`${base}/api/${realm.tenantA}/tokens/generate`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': realm.keys.admin },
        body: JSON.stringify([[{ type: 'sub', value: 'a' }]]),
      }),
  },
  {
    name: 'POST /gateway/security/getJsonWebToken',
    flavor: 'webmethods',
    // A key that identifies no application is API Gateway's "Unauthorized application request".
    overrides: { [status.PERMISSION_DENIED]: 401 },
    request: (base) =>
      fetch(`${base}/gateway/security/getJsonWebToken`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-gateway-apikey': realm.keys.admin },
        body: JSON.stringify({ claimsSet: { a: 1 } }),
      }),
  },
  {
    name: 'GET /rest/pub/apigateway/jwt/certs',
    flavor: 'webmethods',
    request: (base) => fetch(`${base}/rest/pub/apigateway/jwt/certs`),
  },
  {
    name: 'GET /.well-known/jwks.json',
    flavor: 'fusionauth',
    request: (base) => fetch(`${base}/.well-known/jwks.json`),
  },
  {
    name: 'GET /.well-known/openid-configuration',
    flavor: 'fusionauth',
    request: (base) => fetch(`${base}/.well-known/openid-configuration`),
  },
  {
    name: 'GET /.well-known/openid-configuration/{tenantId}',
    flavor: 'fusionauth',
    request: (base) => fetch(`${base}/.well-known/openid-configuration/${realm.tenantB}`),
  },
];

/** Asserts the body is the API's own error shape for `httpStatus`. */
async function expectErrorShape(
  response: Response,
  flavor: Flavor,
  httpStatus: number,
  label: string,
) {
  const text = await response.text();
  // A server-side failure is never described to the caller.
  if (httpStatus >= 500) expect(text, label).not.toContain('secret detail');
  switch (flavor) {
    case 'neostore': {
      expect(response.headers.get('content-type'), label).toMatch(/^application\/problem\+json/);
      const body = JSON.parse(text) as Record<string, unknown>;
      expect(body, label).toMatchObject({ type: 'about:blank', status: httpStatus });
      expect(typeof body.title, label).toBe('string');
      if (httpStatus >= 500) expect(body.detail, label).toBe(HIDDEN);
      if (httpStatus === 401)
        expect(response.headers.get('www-authenticate'), label).toBe('Bearer');
      return body;
    }
    case 'webmethods': {
      expect(response.headers.get('content-type'), label).toMatch(/^application\/json/);
      const body = JSON.parse(text) as Record<string, unknown>;
      expect(Object.keys(body), label).toEqual(['Exception']);
      const message = String(body.Exception);
      expect(message.startsWith(WEBMETHODS_PREFIX), label).toBe(true);
      if (httpStatus >= 500) expect(message, label).toBe(`${WEBMETHODS_PREFIX}${HIDDEN}`);
      return body;
    }
    case 'fusionauth': {
      // FusionAuth answers only a 400 with an errors body; everything else is empty.
      if (httpStatus !== 400) {
        expect(text, label).toBe('');
        return undefined;
      }
      expect(response.headers.get('content-type'), label).toMatch(/^application\/json/);
      const body = JSON.parse(text) as Record<string, unknown>;
      expect(body.fieldErrors ?? body.generalErrors, label).toBeDefined();
      return body;
    }
  }
}

describe.each(ROUTES)('$name', (route) => {
  it.each(CODES)(
    'maps gRPC status %i as documented, with tessera details and bare',
    async (code) => {
      const expected = route.overrides?.[code] ?? DOCUMENTED[code];
      for (const [variant, error] of [
        ['tessera', tesseraFailure(code)],
        ['bare', bareFailure(code)],
      ] as const) {
        failure = error;
        const label = `${route.name} ${status[code]} ${variant}`;
        const response = await route.request(fakeUrl);
        expect(response.status, label).toBe(expected);
        await expectErrorShape(response, route.flavor, expected, label);
      }
    },
  );
});

describe('field names in Neostore validation problems', () => {
  it.each([
    ['validityDuration', 'validityDuration'],
    ['claim_sets', '$'],
    ['claim_sets[1]', '[1]'],
    ['claim_sets[1].claims[0].type', '[1][0].type'],
    ['claim_sets[0].claims[2].value_type', '[0][2].valueType'],
    ['tenant_id', 'tenantId'],
  ])('names issuer field %s as %s', async (protoField, requestField) => {
    failure = tesseraFailure(status.INVALID_ARGUMENT, protoField);
    const response = await ROUTES[0]!.request(fakeUrl);
    expect(response.status).toBe(400);
    const body = (await expectErrorShape(response, 'neostore', 400, protoField)) as Record<
      string,
      unknown
    >;
    expect(Object.keys(body.errors as object)).toEqual([requestField]);
  });
});

describe('webMethods 401 wording', () => {
  it.each([status.UNAUTHENTICATED, status.PERMISSION_DENIED])(
    'says "Unauthorized application request" for %i',
    async (code) => {
      failure = tesseraFailure(code);
      const response = await ROUTES[1]!.request(fakeUrl);
      const body = (await expectErrorShape(response, 'webmethods', 401, String(code))) as Record<
        string,
        string
      >;
      expect(body.Exception).toMatch(
        /^API Gateway encountered an error\. Error Message: Unauthorized application request\. /,
      );
    },
  );
});

describe('a backend that is down', () => {
  it('answers 503 on every route, each in its own shape', async () => {
    const dead = new issuerV1.IssuerServiceClient('127.0.0.1:1', credentials.createInsecure());
    try {
      const deadUrl = await gateway(dead);
      for (const route of ROUTES) {
        const response = await route.request(deadUrl);
        expect(response.status, route.name).toBe(503);
        await expectErrorShape(response, route.flavor, 503, route.name);
      }
    } finally {
      dead.close();
    }
  });
});
