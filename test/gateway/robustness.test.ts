import { randomUUID } from 'node:crypto';
import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { connect } from 'node:net';
import { Keyring } from '@tessera/jwt-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';

/**
 * Thousands of random and malformed requests at every route of the gateway (read from the
 * router, so routes added later are covered too): random methods, broken and binary bodies,
 * wrong media types, bodies over the limit, deep nesting, odd query strings, garbage
 * credentials and cookies. Every answer must be a 4xx (or a success) in the route's own
 * format, never a 5xx or a dropped connection; afterwards the stack must still serve normal
 * requests. Reproduce a failure with `FUZZ_SEED=<seed>`.
 */

const SEED = Number(process.env.FUZZ_SEED ?? 20_240_611);
const REQUESTS = 3000;
const CONCURRENCY = 16;
const BODY_LIMIT = 1024 * 1024;
const WEBMETHODS_PREFIX = 'API Gateway encountered an error. Error Message: ';

/** mulberry32: small, seedable, good enough to pick test inputs. */
class Random {
  #state: number;
  constructor(seed: number) {
    this.#state = seed >>> 0;
  }
  next(): number {
    this.#state = (this.#state + 0x6d2b79f5) >>> 0;
    let t = this.#state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  }
  int(below: number): number {
    return Math.floor(this.next() * below);
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
  pick<T>(items: readonly T[]): T {
    return items[this.int(items.length)] as T;
  }
  bytes(length: number): Buffer {
    return Buffer.from(Array.from({ length }, () => this.int(256)));
  }
  /** Latin-1 text: what a header value or raw path may carry on the wire. */
  latin1(length: number): string {
    return Array.from({ length }, () =>
      String.fromCharCode(this.pick([this.int(95) + 32, this.int(128) + 128])),
    ).join('');
  }
  json(depth = 0): unknown {
    const kind = this.int(depth > 3 ? 5 : 7);
    switch (kind) {
      case 0:
        return null;
      case 1:
        return this.chance(0.5);
      case 2:
        return this.pick([0, -1, 1e308, -0.5, 2 ** 53 + 1, 42]);
      case 3:
        return this.pick([
          '',
          'null',
          'undefined',
          '\u0000',
          '\ud800',
          '日本語',
          '<script>',
          this.latin1(this.int(40)),
        ]);
      case 4:
        return this.pick(['sub', 'claims', 'claimsSet', 'refreshToken', 'token', '__proto__']);
      case 5:
        return Array.from({ length: this.int(4) }, () => this.json(depth + 1));
      default:
        return Object.fromEntries(
          Array.from({ length: this.int(5) }, () => [
            this.pick([
              'claims',
              'claimsSet',
              'type',
              'value',
              'valueType',
              'refreshToken',
              'token',
              'userId',
              'applicationId',
              'timeToLiveInSeconds',
              'keyId',
              'encodedJWT',
              'identityProviderId',
              'x',
              '__proto__',
              'constructor',
            ]),
            this.json(depth + 1),
          ]),
        );
    }
  }
}

type Flavor = 'neostore' | 'webmethods' | 'fusionauth' | 'plain';

interface Route {
  readonly pattern: string;
  readonly methods: readonly string[];
}

interface FuzzRequest {
  readonly method: string;
  readonly path: string;
  readonly headers: Record<string, string>;
  readonly body?: Buffer;
  /** The route the request targets, when it matches one. */
  readonly route?: Route;
  /** Oversized on purpose: the server may answer early and close before reading it all. */
  readonly mayReset: boolean;
  readonly label: string;
}

interface Outcome {
  readonly status?: number;
  readonly headers?: IncomingHttpHeaders;
  readonly body?: Buffer;
  readonly error?: Error;
}

/** Every route of the router: `printRoutes` is a tree; children continue their parent's path. */
function routesOf(tree: string): Route[] {
  const routes: Route[] = [];
  const stack: string[] = [];
  for (const line of tree.split('\n')) {
    const match = /^([│ ├└─]*)(\S.*?)(?: \(([^)]*)\))?$/.exec(line);
    if (match === null) continue;
    const depth = Math.max(0, (match[1] ?? '').length / 4 - 1);
    const segment = match[2] ?? '';
    stack.length = depth;
    const pattern = `${stack.join('')}${segment}`;
    stack.push(segment);
    if (match[3]) routes.push({ pattern, methods: match[3].split(',').map((m) => m.trim()) });
  }
  return routes;
}

/** The error shape each documented API speaks, by the path it lives under. */
function flavorOf(pattern: string): Flavor {
  if (/^\/api\/:[^/]+\/tokens\/generate$/.test(pattern)) return 'neostore';
  if (pattern.startsWith('/gateway/') || pattern.startsWith('/rest/pub/apigateway/'))
    return 'webmethods';
  if (pattern.startsWith('/api/jwt/') || pattern.startsWith('/.well-known/')) return 'fusionauth';
  return 'plain';
}

let s: GatewayStack;
let routes: Route[];
let port: number;
let bearerA: string;
let foreignBearer: string;

beforeAll(async () => {
  s = await startGatewayStack();
  port = Number(new URL(s.baseUrl).port);
  routes = routesOf(s.gateway.printRoutes({ commonPrefix: false }));
  // A user's token of tenant A with the Generate scope, signed as its session flows sign them.
  const iat = Math.floor(s.clock.now() / 1000);
  bearerA = await (await Keyring.fromEntries(s.realm.keyEntries)).sign('a-es256', {
    iss: s.realm.issuerA,
    sub: randomUUID(),
    scope: 'AuthenticationToken.Write',
    iat,
    exp: iat + 3600,
  });
  const ofB = await fetch(`${s.baseUrl}/api/${s.realm.tenantB}/tokens/generate`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': s.realm.keys.admin },
    body: '[[{"type":"sub","value":"b"}]]',
  });
  [foreignBearer] = (await ofB.json()) as [string];
});
afterAll(() => s.close());

function buildRequests(random: Random): FuzzRequest[] {
  const keys = Object.values(s.realm.keys);
  const parameterValues = () => [
    s.realm.tenantA,
    s.realm.tenantB,
    s.realm.tenantH,
    randomUUID(),
    'null',
    'undefined',
    '..',
    '%00',
    '%ZZ',
    encodeURIComponent('日本語'),
    'a'.repeat(600),
    encodeURIComponent(random.latin1(12)),
  ];
  const queryParts = () => [
    'token=null',
    'userId=undefined',
    'applicationId=undefined',
    `applicationId=${s.realm.applicationA}`,
    `userId=${randomUUID()}`,
    'refreshToken=garbage',
    `token=${bearerA}`,
    `validityDuration=${random.pick(['1.00:00:00', '-1', '99999999.00:00:00', '%20%20', 'null', '1e9', 'x'.repeat(5000)])}`,
    'a=1&a=2&a=3',
    'x[]=1&x[0]=2',
    '__proto__[x]=1',
    'constructor[prototype][x]=1',
    `q=${encodeURIComponent('😀 ü \u0000')}`,
    `big=${'v'.repeat(10 * 1024)}`,
    '%ZZ=%ZZ',
    '=&&=',
    'timeToLiveInSeconds=-5',
  ];
  const authorizations = () => [
    s.realm.keys.admin,
    random.pick(keys),
    `Bearer ${bearerA}`,
    `Bearer ${foreignBearer}`,
    `Bearer ${bearerA.slice(0, -3)}xyz`,
    'Bearer',
    'Bearer ',
    'Bearer garbage.garbage.garbage',
    `Bearer ${'a'.repeat(9000)}`,
    `Basic ${Buffer.from(`apikey:${s.realm.keys.admin}`).toString('base64')}`,
    'Basic !!!notbase64',
    `Basic ${Buffer.from(random.latin1(20), 'latin1').toString('base64')}`,
    'null',
    random.latin1(random.int(64) + 1),
  ];
  const contentTypes = [
    'application/json',
    'application/json; charset=utf-8',
    'application/json; charset=utf-16',
    'text/json',
    'application/vnd.tessera+json',
    'text/plain',
    'application/x-www-form-urlencoded',
    'multipart/form-data; boundary=xyz',
    'application/octet-stream',
    'application/xml',
    ';;;',
    'application/',
    '*/*',
  ];
  const accepts = [
    '*/*',
    'text/plain',
    'text/json',
    'application/xml',
    'text/plain;q=abc',
    ',,,;q=',
    'a'.repeat(3000),
  ];

  const VALUE_TYPES = [
    null,
    '',
    'JSON',
    'JSON_ARRAY',
    'JSON_NULL',
    'http://www.w3.org/2001/XMLSchema#integer',
    'http://www.w3.org/2001/XMLSchema#boolean',
    'http://www.w3.org/2001/XMLSchema#double',
    'http://www.w3.org/2001/XMLSchema#dateTime',
    'garbage',
  ];
  const randomObject = (): Record<string, unknown> => {
    const value = random.json();
    return typeof value === 'object' && value !== null && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : { value };
  };
  /** A body of the shape the route reads, with random contents. */
  const validBody = (pattern: string): unknown => {
    if (pattern.endsWith('/tokens/generate')) {
      return Array.from({ length: random.int(4) + 1 }, () =>
        Array.from({ length: random.int(6) }, () => ({
          type: random.pick(['sub', 'email', 'role', 'exp', 'iss', 'aud', '', '__proto__', 'x']),
          value: random.pick([
            '1',
            '[1,2]',
            '{"a":{}}',
            'true',
            'null',
            '2024-01-01T00:00:00Z',
            '',
          ]),
          ...(random.chance(0.5) ? { valueType: random.pick(VALUE_TYPES) } : {}),
        })),
      );
    }
    if (pattern.startsWith('/gateway/')) return { claimsSet: randomObject() };
    if (pattern === '/api/jwt/vend') {
      return {
        claims: randomObject(),
        ...(random.chance(0.3) ? { timeToLiveInSeconds: random.pick([1, 0, -1, 1e12, 'x']) } : {}),
        ...(random.chance(0.2) ? { keyId: random.pick(['a-es256', 'h-hs256', 'nope']) } : {}),
      };
    }
    if (pattern.startsWith('/api/jwt/refresh')) {
      return {
        refreshToken: random.pick(['garbage', '', bearerA]),
        token: random.pick(['garbage', bearerA]),
      };
    }
    return randomObject();
  };
  /** `value` with one node somewhere replaced by random JSON. */
  const mutated = (value: unknown): unknown => {
    if (typeof value !== 'object' || value === null || random.chance(0.3)) return random.json();
    const copy: Record<string, unknown> | unknown[] = Array.isArray(value)
      ? [...value]
      : { ...value };
    const keys = Object.keys(copy);
    if (keys.length === 0) return random.json();
    const key = random.pick(keys);
    (copy as Record<string, unknown>)[key] = mutated((copy as Record<string, unknown>)[key]);
    return copy;
  };
  /** The credentials and media type a well-formed request of the route carries. */
  const wellFormedHeaders = (pattern: string): Record<string, string> => {
    if (pattern.endsWith('/tokens/generate')) {
      return { 'x-api-key': s.realm.keys.admin, 'content-type': 'application/json' };
    }
    if (pattern.startsWith('/gateway/')) {
      return { 'x-gateway-apikey': s.realm.keys.admin, 'content-type': 'application/json' };
    }
    if (pattern === '/api/jwt/validate') return { authorization: `Bearer ${bearerA}` };
    if (pattern.startsWith('/api/jwt/')) {
      return {
        authorization: s.realm.keys.admin,
        'x-fusionauth-tenantid': s.realm.tenantA,
        'content-type': 'application/json',
      };
    }
    return {};
  };

  /**
   * A request the route would accept, then one random change: deep paths (the issuer's own
   * checks, claim conversion, limits) are reached only by requests that pass the first ones.
   */
  const nearlyValid = (route: Route, i: number): FuzzRequest => {
    const method = route.methods.find((m) => m !== 'HEAD') ?? 'GET';
    let path = route.pattern.replace(/:[A-Za-z]+/g, () =>
      random.chance(0.8) ? s.realm.tenantA : random.pick(parameterValues()),
    );
    if (random.chance(0.4)) {
      path += `?${Array.from({ length: random.int(3) + 1 }, () => random.pick(queryParts())).join('&')}`;
    }
    const headers = wellFormedHeaders(route.pattern);
    const change = random.int(4);
    if (change === 0) headers.authorization = random.pick(authorizations());
    if (change === 1) headers.accept = random.pick(accepts);
    if (change === 2) headers['content-type'] = random.pick(contentTypes);
    let body: Buffer | undefined;
    if (method !== 'GET') {
      const value = validBody(route.pattern);
      body = Buffer.from(JSON.stringify(random.chance(0.6) ? value : mutated(value)) ?? 'null');
      headers['content-length'] = String(body.length);
    }
    return {
      method,
      path,
      headers,
      ...(body === undefined ? {} : { body }),
      route,
      mayReset: false,
      label: `#${i} (nearly valid) ${method} ${path.slice(0, 120)} [${Object.keys(headers).join(',')}] body=${body?.toString('utf8').slice(0, 200) ?? '-'}`,
    };
  };

  const requests: FuzzRequest[] = [];
  for (let i = 0; i < REQUESTS; i++) {
    const route = random.chance(0.9) ? random.pick(routes) : undefined;
    if (route !== undefined && random.chance(0.35)) {
      requests.push(nearlyValid(route, i));
      continue;
    }
    const method =
      route && random.chance(0.75)
        ? random.pick(route.methods)
        : random.pick([
            'GET',
            'POST',
            'PUT',
            'DELETE',
            'PATCH',
            'HEAD',
            'OPTIONS',
            'PROPFIND',
            'TRACE',
            'FOO',
            'get',
          ]);
    let path = route
      ? route.pattern.replace(/:[A-Za-z]+/g, () => random.pick(parameterValues()))
      : random.pick([
          '/',
          '/api',
          '/api/jwt',
          '/api/jwt/../../etc/passwd',
          '/%ZZ',
          `/${encodeURIComponent('ü')}`,
          '//',
          `/${random.latin1(8).replace(/[?#\s]/g, '')}`,
          `/${'x'.repeat(20_000)}`,
        ]);
    if (random.chance(0.6)) {
      path += `?${Array.from({ length: random.int(4) + 1 }, () => random.pick(queryParts())).join('&')}`;
    }
    const headers: Record<string, string> = {};
    if (random.chance(0.6)) headers.authorization = random.pick(authorizations());
    if (random.chance(0.3))
      headers['x-api-key'] = random.pick([s.realm.keys.admin, random.latin1(20), '']);
    if (random.chance(0.3))
      headers['x-gateway-apikey'] = random.pick([
        s.realm.keys.admin,
        random.pick(keys),
        random.latin1(20),
      ]);
    if (random.chance(0.3)) headers['x-fusionauth-tenantid'] = random.pick(parameterValues());
    if (random.chance(0.3)) {
      headers.cookie = random.pick([
        `access_token=${bearerA}`,
        `refresh_token=${random.latin1(30).replace(/[;\s]/g, '')}`,
        'access_token=; refresh_token=',
        '=;=;=',
        random.latin1(100),
        `access_token=${'z'.repeat(9000)}`,
      ]);
    }
    if (random.chance(0.3)) headers.accept = random.pick(accepts);
    let mayReset = false;
    if (random.chance(0.01)) {
      headers['x-padding'] = 'p'.repeat(20 * 1024);
      mayReset = true;
    }
    if (path.length > 15_000) mayReset = true;

    let body: Buffer | undefined;
    const shape = random.int(12);
    const pattern = route?.pattern ?? '/';
    switch (shape) {
      case 0:
        break;
      case 1:
      case 2:
        body = Buffer.from(JSON.stringify(validBody(pattern)));
        break;
      case 3: {
        const text = JSON.stringify(validBody(pattern));
        body = Buffer.from(text.slice(0, random.int(text.length)));
        break;
      }
      case 4:
        body = Buffer.from(JSON.stringify(random.json()) ?? 'null');
        break;
      case 5:
        body = random.bytes(random.int(2048) + 1);
        break;
      case 6: {
        const depth = random.int(200_000) + 1;
        body = Buffer.from(
          random.chance(0.5)
            ? `${'['.repeat(depth)}${']'.repeat(depth)}`
            : `{"claimsSet":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`,
        );
        break;
      }
      case 7:
        body = Buffer.from(`${'['.repeat(random.int(50_000) + 1)}`);
        break;
      case 8:
        body = Buffer.from(
          random.pick(['token=abc&userId=null', 'refreshToken=&token=', 'a[b][c]=d', '%ZZ']),
        );
        break;
      case 9:
        body = Buffer.from(
          random.pick([
            '{"__proto__":{"polluted":true}}',
            '{"constructor":{"prototype":{"polluted":true}}}',
            '\ufeff{}',
            '{"a":1,"a":2}',
            '[]',
            '""',
            'null',
            '{"claims":{"exp":"soon","iat":[]},"timeToLiveInSeconds":1e400}',
          ]),
        );
        break;
      case 10:
        if (random.chance(0.25)) {
          body = random.chance(0.5)
            ? Buffer.from(`{"claimsSet":{"x":"${'y'.repeat(BODY_LIMIT + 1024)}"}}`)
            : random.bytes(BODY_LIMIT + 4096);
          mayReset = true;
        } else {
          body = Buffer.from(JSON.stringify({ big: 'x'.repeat(random.int(200_000)) }));
        }
        break;
      default:
        body = Buffer.from(JSON.stringify(validBody(pattern)));
    }
    if (body !== undefined && random.chance(0.85))
      headers['content-type'] = random.pick(contentTypes);
    if (body !== undefined && body.length > 64 * 1024) mayReset = true;
    // Node's client frames no body of GET, HEAD, DELETE, OPTIONS or TRACE by itself; unframed
    // bytes would be read as the next request of the connection.
    if (body !== undefined) headers['content-length'] = String(body.length);
    // Methods Node's parser does not know end in a 400 and a closed connection.
    if (!KNOWN_METHODS.has(method)) mayReset = true;
    requests.push({
      method,
      path,
      headers,
      ...(body === undefined ? {} : { body }),
      ...(route === undefined ? {} : { route }),
      mayReset,
      label: `#${i} ${method} ${path.slice(0, 120)} [${Object.keys(headers).join(',')}] body=${body?.length ?? '-'}`,
    });
  }
  return requests;
}

const KNOWN_METHODS: ReadonlySet<string> = new Set([
  'GET',
  'POST',
  'PUT',
  'DELETE',
  'PATCH',
  'HEAD',
  'OPTIONS',
  'PROPFIND',
  'TRACE',
]);

/**
 * Sends one request on a connection of its own: a request the server refuses at the HTTP
 * level ends its connection, and must not take the answers of others down with it.
 */
function send(request: FuzzRequest): Promise<Outcome> {
  return new Promise((resolve) => {
    const outgoing = httpRequest(
      {
        host: '127.0.0.1',
        port,
        method: request.method,
        path: request.path,
        headers: { ...request.headers, connection: 'close' },
        agent: false,
        timeout: 15_000,
      },
      (response) => {
        const chunks: Buffer[] = [];
        response.on('data', (chunk: Buffer) => chunks.push(chunk));
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 0,
            headers: response.headers,
            body: Buffer.concat(chunks),
          }),
        );
        response.on('error', (error) => resolve({ error }));
      },
    );
    outgoing.on('error', (error) => resolve(refusalIn(error) ?? { error }));
    outgoing.on('timeout', () => outgoing.destroy(new Error('no answer within 15 s')));
    outgoing.end(request.body);
  });
}

/**
 * A refusal the server wrote straight to the socket (431, a parse error) carries a body even
 * to a HEAD request, which the client then fails to parse; the answer is in the raw bytes.
 */
function refusalIn(error: Error): Outcome | undefined {
  const raw = (error as { rawPacket?: unknown }).rawPacket;
  if (!Buffer.isBuffer(raw)) return undefined;
  const text = raw.toString('latin1');
  const status = /^HTTP\/1\.[01] (\d{3}) /.exec(text)?.[1];
  if (status === undefined) return undefined;
  const type = /\r\ncontent-type: ([^\r]*)/i.exec(text)?.[1];
  const body = text.slice(text.indexOf('\r\n\r\n') + 4);
  return {
    status: Number(status),
    headers: type ? { 'content-type': type } : {},
    body: Buffer.from(body, 'latin1'),
  };
}

/** Raw requests the HTTP client would never send: the server's parser must refuse them cleanly. */
const RAW_REQUESTS = [
  'GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: -1\r\nConnection: close\r\n\r\n',
  'POST /api/jwt/vend HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\nContent-Length: 6\r\nConnection: close\r\n\r\nhello!',
  'GARBAGE\r\n\r\n',
  'POST /gateway/security/getJsonWebToken HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\nConnection: close\r\n\r\nZZ\r\n{}\r\n0\r\n\r\n',
  'GET /healthz HTTP/1.0\r\n\r\n',
  'GET /healthz HTTP/1.1\r\nHost: x\r\nX-Nul: a\u0000b\r\nConnection: close\r\n\r\n',
  'GET /api/jwt/validate HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer \u00ff\u00fe\r\nConnection: close\r\n\r\n',
  'POST /api/x/tokens/generate HTTP/1.1\r\nHost: x\r\nX-API-KEY: \u00e9\u00e9\r\nContent-Type: application/json\r\nContent-Length: 2\r\nConnection: close\r\n\r\n[]',
  'GET /\u00e9\u00e8 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
  'POST /api/jwt/vend HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\nContent-Length: 3\r\nConnection: close\r\n\r\n0\r\n\r\n',
  'GET /healthz HTTP/9.9\r\nHost: x\r\nConnection: close\r\n\r\n',
  'GET /healthz?%ZZ HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n',
];

function sendRaw(text: string): Promise<number | undefined> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let received = '';
    socket.setTimeout(10_000, () => socket.destroy());
    socket.on('data', (chunk) => {
      received += chunk.toString('latin1');
    });
    socket.on('close', () => {
      const status = /^HTTP\/1\.[01] (\d{3})/.exec(received)?.[1];
      resolve(status === undefined ? undefined : Number(status));
    });
    socket.on('error', () => undefined);
    socket.end(Buffer.from(text, 'latin1'));
  });
}

/**
 * Requests refused before any route is matched are answered by the framework, which knows no
 * route and so no route's format: headers over Node's limit (431), a request line Node's
 * parser rejects, a URL that does not decode, a path parameter over `maxParamLength`.
 */
function refusedBeforeRouting(status: number, body: Record<string, unknown>): boolean {
  if (status === 431) return true;
  if (body.code === 'FST_ERR_BAD_URL' || body.code === 'FST_ERR_MAX_PARAM_LENGTH') return true;
  return status === 400 && body.message === 'Client Error';
}

/** What is wrong with one answer, or undefined when it is fine. */
function problemWith(request: FuzzRequest, outcome: Outcome): string | undefined {
  if (outcome.error !== undefined || outcome.status === undefined) {
    const code = (outcome.error as NodeJS.ErrnoException | undefined)?.code;
    if (
      request.mayReset &&
      (code === 'ECONNRESET' || code === 'EPIPE' || outcome.error?.message === 'socket hang up')
    ) {
      return undefined;
    }
    return `no answer: ${outcome.error?.message ?? 'none'}`;
  }
  const status = outcome.status;
  if (status >= 500) return `status ${status}: ${outcome.body?.toString('utf8').slice(0, 200)}`;
  if (request.method === 'HEAD') return undefined;
  const type = String(outcome.headers?.['content-type'] ?? '');
  const text = outcome.body?.toString('utf8') ?? '';
  let body: unknown;
  if (/json/.test(type) && text !== '') {
    try {
      body = JSON.parse(text);
    } catch {
      return `status ${status}: ${type} body is not JSON`;
    }
  }
  if (status < 400) return undefined;
  const record = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
  if (refusedBeforeRouting(status, record)) return undefined;
  // Only a request the router matched speaks its route's format; the rest is the 404 handler.
  const matched =
    request.route !== undefined &&
    s.gateway.hasRoute({ method: request.method as 'GET', url: request.route.pattern });
  const flavor: Flavor = matched && request.route ? flavorOf(request.route.pattern) : 'plain';
  const shown = `${type} ${JSON.stringify(text.slice(0, 200))}`;
  switch (flavor) {
    case 'neostore':
      if (
        !/^application\/problem\+json/.test(type) ||
        record.status !== status ||
        typeof record.title !== 'string'
      ) {
        return `status ${status}: not problem details: ${shown}`;
      }
      return undefined;
    case 'webmethods':
      if (typeof record.Exception !== 'string' || !record.Exception.startsWith(WEBMETHODS_PREFIX)) {
        return `status ${status}: not a webMethods Exception: ${shown}`;
      }
      return undefined;
    case 'fusionauth':
      // FusionAuth documents empty bodies for most failures; a body must be its errors object.
      if (text !== '' && record.fieldErrors === undefined && record.generalErrors === undefined) {
        return `status ${status}: not FusionAuth errors: ${shown}`;
      }
      return undefined;
    case 'plain':
      if (typeof record.error !== 'string' || record.status !== status) {
        return `status ${status}: not the gateway's plain error: ${shown}`;
      }
      return undefined;
  }
}

describe('the gateway under random and malformed requests', () => {
  it(`answers ${REQUESTS} of them with 4xx in each API's format, never a 5xx (seed ${SEED})`, async () => {
    expect(routes.length).toBeGreaterThanOrEqual(10);
    const requests = buildRequests(new Random(SEED));
    const problems: string[] = [];
    const hits = new Map<string, number>();
    let next = 0;
    const worker = async () => {
      for (let i = next++; i < requests.length; i = next++) {
        const request = requests[i] as FuzzRequest;
        const outcome = await send(request);
        const problem = problemWith(request, outcome);
        if (problem !== undefined) problems.push(`${request.label}: ${problem}`);
        if (request.route)
          hits.set(request.route.pattern, (hits.get(request.route.pattern) ?? 0) + 1);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    for (const raw of RAW_REQUESTS) {
      const status = await sendRaw(raw);
      if (status !== undefined && status >= 500)
        problems.push(`raw ${JSON.stringify(raw.slice(0, 60))}: status ${status}`);
    }
    expect(problems.slice(0, 20), `seed ${SEED}, ${problems.length} problems`).toEqual([]);
    for (const route of routes)
      expect(hits.get(route.pattern) ?? 0, route.pattern).toBeGreaterThan(50);
  }, 180_000);

  it('still serves vend, validate, generate, getJsonWebToken and readiness afterwards', async () => {
    expect((await fetch(`${s.baseUrl}/healthz`)).status).toBe(200);
    expect((await fetch(`${s.baseUrl}/readyz`)).status).toBe(200);

    const vend = await fetch(`${s.baseUrl}/api/jwt/vend`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: s.realm.keys.admin,
        'x-fusionauth-tenantid': s.realm.tenantA,
      },
      body: JSON.stringify({ claims: { sub: 'after-the-storm' } }),
    });
    expect(vend.status).toBe(200);
    const { token } = (await vend.json()) as { token: string };
    const validate = await fetch(`${s.baseUrl}/api/jwt/validate`, {
      headers: { authorization: `Bearer ${token}` },
    });
    expect(validate.status).toBe(200);
    expect(((await validate.json()) as { jwt: Record<string, unknown> }).jwt.sub).toBe(
      'after-the-storm',
    );

    const generate = await fetch(`${s.baseUrl}/api/${s.realm.tenantA}/tokens/generate`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': s.realm.keys.admin },
      body: '[[{"type":"sub","value":"one"}],[{"type":"sub","value":"two"}]]',
    });
    expect(generate.status).toBe(200);
    expect((await generate.json()) as string[]).toHaveLength(2);

    const webMethods = await fetch(`${s.baseUrl}/gateway/security/getJsonWebToken`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-Gateway-APIKey': s.realm.keys.admin },
      body: '{"claimsSet":{"name":"username"}}',
    });
    expect(webMethods.status).toBe(200);
    expect(typeof ((await webMethods.json()) as { jwt: string }).jwt).toBe('string');
  });
});

describe('security finding 11 — deep nesting on every JSON route', () => {
  const DEPTH = 100_000;
  const UNKNOWN_KEY = 'an-api-key-the-realm-does-not-know';
  /** Routes whose API authenticates the caller before it reads the body. */
  const AUTHENTICATES_FIRST = new Set([
    'POST /api/jwt/vend',
    'DELETE /api/jwt/refresh',
    'DELETE /api/jwt/refresh/:tokenId',
    'POST /api/:tenantId/tokens/generate',
    'POST /gateway/security/getJsonWebToken',
  ]);
  const BODY_METHODS = new Set(['POST', 'PUT', 'PATCH', 'DELETE']);

  const deep = (inner: string) => `${'{"a":'.repeat(DEPTH)}${inner}${'}'.repeat(DEPTH)}`;
  /** A body of the route's shape with the nesting where the route reads claims. */
  const deepBodies = (pattern: string): string[] => {
    const arrays = `${'['.repeat(DEPTH)}${']'.repeat(DEPTH)}`;
    if (pattern.endsWith('/tokens/generate'))
      return [`[[{"type":"a","value":${deep('1')}}]]`, arrays];
    if (pattern.startsWith('/gateway/')) return [`{"claimsSet":${deep('1')}}`, arrays];
    if (pattern === '/api/jwt/vend') return [`{"claims":${deep('1')}}`, arrays];
    return [`{"x":${deep('1')}}`, arrays];
  };
  const credentials = (pattern: string, key: string): Record<string, string> => {
    if (pattern.endsWith('/tokens/generate')) return { 'x-api-key': key };
    if (pattern.startsWith('/gateway/')) return { 'x-gateway-apikey': key };
    return { authorization: key, 'x-fusionauth-tenantid': s.realm.tenantA };
  };

  it('finding 11: answers each JSON route in its own format, 401 for an unknown key where it authenticates first, 400 for the depth', async () => {
    const jsonRoutes = routes.flatMap((route) =>
      route.methods.filter((m) => BODY_METHODS.has(m)).map((method) => ({ route, method })),
    );
    expect(jsonRoutes.length).toBeGreaterThanOrEqual(6);
    const problems: string[] = [];
    for (const { route, method } of jsonRoutes) {
      const path = route.pattern
        .replace(':tenantId', s.realm.tenantA)
        .replace(/:[A-Za-z]+/g, () => randomUUID());
      for (const [keyName, key] of [
        ['valid', s.realm.keys.admin],
        ['unknown', UNKNOWN_KEY],
      ] as const) {
        for (const text of deepBodies(route.pattern)) {
          const body = Buffer.from(text);
          const request: FuzzRequest = {
            method,
            path,
            headers: {
              ...credentials(route.pattern, key),
              'content-type': 'application/json',
              'content-length': String(body.length),
            },
            body,
            route,
            mayReset: false,
            label: `${method} ${route.pattern} (${keyName} key, ${text.slice(0, 12)}…)`,
          };
          const outcome = await send(request);
          const problem = problemWith(request, outcome);
          if (problem !== undefined) {
            problems.push(`${request.label}: ${problem}`);
            continue;
          }
          const expected =
            keyName === 'unknown' && AUTHENTICATES_FIRST.has(`${method} ${route.pattern}`)
              ? 401
              : 400;
          if (outcome.status !== expected)
            problems.push(`${request.label}: status ${outcome.status}, expected ${expected}`);
        }
      }
    }
    expect(problems).toEqual([]);

    const vend = await fetch(`${s.baseUrl}/api/jwt/vend`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        authorization: s.realm.keys.admin,
        'x-fusionauth-tenantid': s.realm.tenantA,
      },
      body: JSON.stringify({ claims: { sub: 'still-here', nested: { a: { b: [1] } } } }),
    });
    expect(vend.status).toBe(200);
  }, 120_000);
});
