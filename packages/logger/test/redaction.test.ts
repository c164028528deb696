import { generateKeyPairSync, randomBytes } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { createLogger, REDACTED_PATHS, REDACTION_CENSOR, redactToken } from '../src/index.js';

/** A logger whose lines are kept in memory, and the whole captured text. */
function capture() {
  const lines: string[] = [];
  const log = createLogger({
    service: 'redaction-test',
    level: 'trace',
    destination: { write: (line: string) => void lines.push(line) },
  });
  return { log, text: () => lines.join('') };
}

const b64url = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

// Real-looking credentials: a signed-looking ES256 JWT, a 256-bit refresh token, an API key.
const jwt = [
  b64url({ alg: 'ES256', kid: 'key-2030', typ: 'JWT' }),
  b64url({ sub: 'user-42', tid: 'tenant-7', exp: 1_900_000_000, iat: 1_800_000_000 }),
  randomBytes(64).toString('base64url'),
].join('.');
const jwtSignature = jwt.split('.')[2] ?? '';
const refreshToken = randomBytes(32).toString('base64url');
const apiKey = `tk_${randomBytes(24).toString('hex')}`;
const cookie = `access_token=${jwt}; refresh_token=${refreshToken}`;
const setCookie = `refresh_token=${refreshToken}; Max-Age=2592000; Path=/; HttpOnly; SameSite=Lax`;
const password = 'correct horse battery staple';

const ecJwk = generateKeyPairSync('ec', { namedCurve: 'P-256' }).privateKey.export({
  format: 'jwk',
});
const rsaKeys = generateKeyPairSync('rsa', { modulusLength: 1024 });
const rsaJwk = rsaKeys.privateKey.export({ format: 'jwk' });
const rsaPem = rsaKeys.privateKey.export({ format: 'pem', type: 'pkcs8' }).toString();
const hmacJwk = {
  kty: 'oct',
  kid: 'hmac-1',
  alg: 'HS256',
  k: randomBytes(32).toString('base64url'),
};

/** Every secret value that was logged somewhere below; none may appear in the output. */
const secrets: Record<string, string | undefined> = {
  jwt,
  'jwt signature': jwtSignature,
  'refresh token': refreshToken,
  'api key': apiKey,
  cookie,
  'set-cookie': setCookie,
  password,
  'EC d': ecJwk.d,
  'RSA d': rsaJwk.d,
  'RSA p': rsaJwk.p,
  'RSA q': rsaJwk.q,
  'RSA dp': rsaJwk.dp,
  'RSA dq': rsaJwk.dq,
  'RSA qi': rsaJwk.qi,
  'private key PEM body': rsaPem.split('\n')[1],
  'HMAC k': hmacJwk.k,
};

function logEverything(log: ReturnType<typeof capture>['log']): void {
  // Top level.
  log.info({ token: jwt, refreshToken, apiKey, password, sub: 'user-42' }, 'top-level secrets');
  log.info({ refresh_token: refreshToken, access_token: jwt, encodedJWT: jwt }, 'snake case');
  log.info({ key: apiKey, secret: apiKey, privateKey: rsaPem, kid: 'key-2030' }, 'key material');
  // HTTP request and response headers, as pino's serializers and the gateway log them.
  log.info(
    {
      req: {
        method: 'POST',
        url: '/api/jwt/refresh',
        headers: {
          authorization: `Bearer ${jwt}`,
          cookie,
          'x-api-key': apiKey,
          'x-gateway-apikey': apiKey,
          'user-agent': 'fusionauth-client',
        },
      },
      res: { statusCode: 200, headers: { 'set-cookie': [setCookie] } },
    },
    'http request',
  );
  log.info({ headers: { authorization: apiKey, 'content-type': 'application/json' } }, 'headers');
  // gRPC metadata, at the top and one level down.
  log.info({ metadata: { authorization: `Bearer ${jwt}`, 'x-api-key': apiKey } }, 'grpc');
  log.info({ call: { method: 'Vend', metadata: { authorization: apiKey } } }, 'grpc call');
  // One and two levels deep.
  log.info({ session: { refreshToken, sid: 'sid-9' } }, 'one level');
  log.info({ result: { tokens: { accessToken: jwt, refreshToken } } }, 'two levels');
  log.info({ request: { body: { token: jwt, password } } }, 'body');
  log.info({ batch: [{ token: jwt }, { token: refreshToken }] }, 'array of tokens');
  // Private JWKs alone, nested, and in a JWK set.
  log.info({ jwk: ecJwk }, 'EC jwk');
  log.info({ rotation: { jwk: rsaJwk } }, 'RSA jwk');
  log.info({ keys: [ecJwk, hmacJwk] }, 'JWKS');
  log.info({ realm: { keys: [rsaJwk] } }, 'nested JWKS');
  log.info({ d: ecJwk.d, k: hmacJwk.k }, 'bare members');
  // Bindings of child loggers and properties of errors.
  log.child({ apiKey, tenantId: 'tenant-7' }).info('child bindings');
  log.error({ err: Object.assign(new Error('rotation failed'), { refreshToken }) }, 'error');
}

describe('@tessera/logger redaction', () => {
  const { log, text } = capture();
  logEverything(log);
  const output = text();

  it.each(Object.entries(secrets))('never writes the %s', (_name, secret) => {
    expect(secret).toBeTruthy();
    expect(output.includes(secret ?? '')).toBe(false);
  });

  it.each([
    ['the service name', '"service":"redaction-test"'],
    ['messages', '"msg":"top-level secrets"'],
    ['subjects', '"sub":"user-42"'],
    ['key ids', '"kid":"key-2030"'],
    ['session ids', '"sid":"sid-9"'],
    ['tenant ids from child bindings', '"tenantId":"tenant-7"'],
    ['harmless headers', '"user-agent":"fusionauth-client"'],
    ['the method of a gRPC call', '"method":"Vend"'],
    ['a public JWK coordinate', `"x":"${ecJwk.x}"`],
    ['the RSA modulus (public)', `"n":"${rsaJwk.n}"`],
    ['error messages', '"message":"rotation failed"'],
    ['the censor in place of each secret', `"token":"${REDACTION_CENSOR}"`],
  ])('still writes %s', (_what, fragment) => {
    expect(output).toContain(fragment);
  });

  it('writes one JSON object per line with an ISO-8601 time', () => {
    const lines = output.trim().split('\n');
    expect(lines.length).toBeGreaterThan(15);
    for (const line of lines) {
      const entry = JSON.parse(line) as { time: string };
      expect(entry.time).toMatch(/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/);
    }
  });

  it('covers each secret field at the top level and one and two levels deep', () => {
    for (const field of ['token', 'refreshToken', 'apiKey', 'password', 'd', 'k']) {
      expect(REDACTED_PATHS).toEqual(expect.arrayContaining([field, `*.${field}`, `*.*.${field}`]));
    }
  });
});

describe('redactToken', () => {
  it('gives the first 6 hex digits of SHA-256 and the length', () => {
    // SHA-256("abc") = ba7816bf…
    expect(redactToken('abc')).toBe('sha256:ba7816 len:3');
  });

  it('is stable for one token and differs between tokens', () => {
    expect(redactToken(refreshToken)).toBe(redactToken(refreshToken));
    expect(redactToken(refreshToken)).not.toBe(redactToken(jwt));
  });

  it('is only a hash prefix and a length', () => {
    expect(redactToken(jwt)).toMatch(/^sha256:[0-9a-f]{6} len:\d+$/);
  });
});
