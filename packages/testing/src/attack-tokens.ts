/**
 * Hostile tokens for the one verification profile (README, Token rules). Each case is "valid except for
 * one thing", signed with the tenant's real key wherever a signature matters, so the rule
 * under test is the only one that can refuse it. The same cases run against a TokenVerifier
 * in-process and against the issuer's Validate RPC, so both are held to the same list.
 */
import { createHmac, createPublicKey, generateKeyPairSync, sign } from 'node:crypto';
import type { Keyring, KeyringKey, ValidationReasonCode } from '@tessera/jwt-core';

/** One hostile token and the reasons a correct verifier may refuse it with. */
export interface AttackCase {
  readonly name: string;
  readonly token: string;
  /** Acceptable refusal reasons; a verifier that accepts the token fails the case. */
  readonly expected: readonly ValidationReasonCode[];
}

/** What the attack cases are built from: a tenant's key, issuer and clock. */
export interface AttackInput {
  readonly keyring: Keyring;
  /** An ES256 key of the tenant, in a state that signs. */
  readonly kid: string;
  /** An RSA key of the tenant, to aim HS/RS confusion at it too. */
  readonly rsaKid?: string;
  readonly issuer: string;
  /** When given, tokens carry it as `aud` and a wrong-audience case is added. */
  readonly audience?: string;
  /** Epoch milliseconds the verifier's clock will read. */
  readonly now: number;
}

/** Order of the P-256 group: r = s = n is zero in disguise (CVE-2022-21449). */
const P256_ORDER = Buffer.from(
  'ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551',
  'hex',
);

const ONE_MEGABYTE = 1024 * 1024;

/**
 * The token every attack case departs from. It must verify; otherwise the refusals of the
 * attack cases prove nothing.
 */
export async function buildValidToken(input: AttackInput): Promise<string> {
  return input.keyring.sign(input.kid, baseClaims(input));
}

/** Builds the attack cases for the tenant described by `input`. */
export async function buildAttackCases(input: AttackInput): Promise<AttackCase[]> {
  const ecKey = requireKey(input.keyring, input.kid, 'ES256');
  const cases: AttackCase[] = [];
  const add = (name: string, token: string, ...expected: ValidationReasonCode[]) => {
    cases.push({ name, token, expected });
  };
  const claims = baseClaims(input);
  const nowSeconds = Math.floor(input.now / 1000);
  const valid = await input.keyring.sign(input.kid, claims);
  const [validHeader = '', validPayload = '', validSignature = ''] = valid.split('.');
  const signature = Buffer.from(validSignature, 'base64url');
  const withSignature = (bytes: Uint8Array) =>
    `${validHeader}.${validPayload}.${Buffer.from(bytes).toString('base64url')}`;
  const signed = (header: Record<string, unknown>, payload: Record<string, unknown> = claims) =>
    input.keyring.signWithHeader(input.kid, header, payload);

  // alg "none": a verifier that honours it accepts anything.
  for (const alg of ['none', 'None', 'NONE', 'nOnE']) {
    const unsecured = `${segment({ alg, kid: input.kid, typ: 'JWT' })}.${validPayload}`;
    add(`alg ${alg}, empty signature`, `${unsecured}.`, 'ALG_NOT_ALLOWED');
    add(`alg ${alg}, with a signature`, `${unsecured}.${validSignature}`, 'ALG_NOT_ALLOWED');
  }

  // Signatures that must not verify.
  add(
    'tampered payload',
    `${validHeader}.${segment({ ...claims, sub: 'admin', roles: ['admin'] })}.${validSignature}`,
    'BAD_SIGNATURE',
  );
  const flipped = Buffer.from(signature);
  flipped[10] = (flipped[10] ?? 0) ^ 0x01;
  add('tampered signature', withSignature(flipped), 'BAD_SIGNATURE');
  add(
    'truncated signature',
    withSignature(signature.subarray(0, 32)),
    'BAD_SIGNATURE',
    'MALFORMED',
  );
  add('empty signature', `${validHeader}.${validPayload}.`, 'BAD_SIGNATURE', 'MALFORMED');
  const r = signature.subarray(0, 32);
  const s = signature.subarray(32, 64);
  const zero = Buffer.alloc(32);
  add('all-zero signature (64 bytes)', withSignature(Buffer.alloc(64)), 'BAD_SIGNATURE');
  add('ES256 signature with r = 0', withSignature(Buffer.concat([zero, s])), 'BAD_SIGNATURE');
  add('ES256 signature with s = 0', withSignature(Buffer.concat([r, zero])), 'BAD_SIGNATURE');
  add(
    'ES256 signature with r = 0 and s = 0',
    withSignature(Buffer.concat([zero, zero])),
    'BAD_SIGNATURE',
  );
  add(
    'ES256 signature with r = s = n (group order)',
    withSignature(Buffer.concat([P256_ORDER, P256_ORDER])),
    'BAD_SIGNATURE',
  );
  add(
    'ES256 signature DER-encoded instead of r||s',
    withSignature(toDer(r, s)),
    'BAD_SIGNATURE',
    'MALFORMED',
  );
  const other = await input.keyring.sign(input.kid, { ...claims, jti: 'another-token' });
  add(
    'signature of another token',
    `${validHeader}.${validPayload}.${other.split('.')[2] ?? ''}`,
    'BAD_SIGNATURE',
  );
  const attacker = generateKeyPairSync('ec', { namedCurve: 'P-256' });
  const attackerSign = (header: Record<string, unknown>) =>
    signRaw(header, claims, (data) =>
      sign('sha256', data, { key: attacker.privateKey, dsaEncoding: 'ieee-p1363' }),
    );
  add(
    'signed by a foreign key under our kid',
    attackerSign({ alg: 'ES256', kid: input.kid, typ: 'JWT' }),
    'BAD_SIGNATURE',
  );

  // HS/RS confusion: our public key, in every encoding a verifier might hand to HMAC.
  const confusionTargets: KeyringKey[] = [ecKey];
  if (input.rsaKid !== undefined)
    confusionTargets.push(requireKey(input.keyring, input.rsaKid, 'RSA'));
  for (const target of confusionTargets) {
    for (const [encoding, secret] of publicKeyEncodings(target)) {
      for (const alg of ['HS256', 'HS384', 'HS512']) {
        const hash = `sha${alg.slice(2)}`;
        add(
          `${alg} signed with ${target.alg} key "${target.kid}" as ${encoding}`,
          signRaw({ alg, kid: target.kid, typ: 'JWT' }, claims, (data) =>
            createHmac(hash, secret).update(data).digest(),
          ),
          'ALG_NOT_ALLOWED',
          'BAD_SIGNATURE',
        );
      }
    }
  }

  // Other algorithm mismatches between header and key.
  add('alg ES384 on an ES256 key', await signed({ alg: 'ES384' }), 'ALG_NOT_ALLOWED');
  add('alg RS256 on an ES256 key', await signed({ alg: 'RS256' }), 'ALG_NOT_ALLOWED');
  add('alg ES512 (unsupported)', await signed({ alg: 'ES512' }), 'ALG_NOT_ALLOWED');
  add('alg missing', await signed({ alg: undefined, typ: 'JWT' }), 'MALFORMED');
  add('alg not a string', await signed({ alg: ['ES256'] }), 'MALFORMED');

  // Keys and key locations named by the token itself: never trusted.
  const ourJwk = ecKey.publicJwk ?? {};
  const spkiBase64 = publicKeyDer(ecKey).toString('base64');
  const embedded: [string, unknown][] = [
    ['jwk', ourJwk],
    ['jku', 'https://attacker.example/.well-known/jwks.json'],
    ['x5u', 'https://attacker.example/cert.pem'],
    ['x5c', [spkiBase64]],
    ['x5t', 'bm90LWEtdGh1bWJwcmludA'],
    ['x5t#S256', 'bm90LWEtdGh1bWJwcmludC1laXRoZXItYnV0LWxvbmdlcg'],
  ];
  for (const [member, value] of embedded) {
    add(
      `embedded ${member} header, valid signature`,
      await signed({ typ: 'JWT', [member]: value }),
      'MALFORMED',
    );
  }
  add(
    'embedded jwk of a foreign key that signed the token',
    attackerSign({
      alg: 'ES256',
      kid: input.kid,
      typ: 'JWT',
      jwk: attacker.publicKey.export({ format: 'jwk' }),
    }),
    'MALFORMED',
    'BAD_SIGNATURE',
  );

  // Extensions: tessera understands none, so any crit or b64 is refused.
  add('crit ["exp"]', await signed({ typ: 'JWT', crit: ['exp'] }), 'MALFORMED');
  add('crit []', await signed({ typ: 'JWT', crit: [] }), 'MALFORMED');
  add(
    'crit ["unknown"]',
    await signed({ typ: 'JWT', crit: ['unknown'], unknown: true }),
    'MALFORMED',
  );
  add('b64 false', await signed({ typ: 'JWT', b64: false }), 'MALFORMED');
  add(
    'b64 false with crit ["b64"]',
    await signed({ typ: 'JWT', b64: false, crit: ['b64'] }),
    'MALFORMED',
  );

  // kid injection: a kid is a lookup key, never a path, query or command.
  for (const kid of ['../../dev/null', "' OR 1=1 --", '|sleep 5', '__proto__', 'constructor', '']) {
    add(`kid ${JSON.stringify(kid)}`, await signed({ typ: 'JWT', kid }), 'UNKNOWN_KID');
  }
  add(
    'kid of 10 KB',
    await signed({ typ: 'JWT', kid: 'k'.repeat(10 * 1024) }),
    'UNKNOWN_KID',
    'MALFORMED',
  );
  add('kid of 257 characters', await signed({ typ: 'JWT', kid: 'k'.repeat(257) }), 'UNKNOWN_KID');
  add('kid a number', await signed({ typ: 'JWT', kid: 1 }), 'UNKNOWN_KID', 'MALFORMED');
  add(
    'kid an object',
    await signed({ typ: 'JWT', kid: { kid: input.kid } }),
    'UNKNOWN_KID',
    'MALFORMED',
  );
  add('kid missing', await signed({ typ: 'JWT', kid: undefined }), 'UNKNOWN_KID');

  // Shape and size, refused before any crypto.
  add('empty string', '', 'MALFORMED');
  add('1 MB of dots', '.'.repeat(ONE_MEGABYTE), 'MALFORMED');
  add(
    '1 MB token signed by our key',
    await input.keyring.sign(input.kid, { ...claims, pad: 'x'.repeat(ONE_MEGABYTE) }),
    'MALFORMED',
  );
  add('two segments', `${validHeader}.${validPayload}`, 'MALFORMED');
  add('four segments', `${valid}.${validSignature}`, 'MALFORMED');
  add('empty header segment', `.${validPayload}.${validSignature}`, 'MALFORMED');
  add('empty payload segment', `${validHeader}..${validSignature}`, 'MALFORMED');
  add('padding characters', `${validHeader}=.${validPayload}.${validSignature}`, 'MALFORMED');
  add('surrounding whitespace', ` ${valid} `, 'MALFORMED');
  add(
    'header not JSON',
    `${Buffer.from('{alg:ES256').toString('base64url')}.${validPayload}.${validSignature}`,
    'MALFORMED',
  );
  add(
    'header a JSON array',
    `${segment(['ES256'])}.${validPayload}.${validSignature}`,
    'MALFORMED',
  );
  add(
    'header of 4n+1 base64url characters',
    `${validHeader}A.${validPayload}.${validSignature}`,
    'MALFORMED',
  );

  // Claims, signed by our key: only the claim rule can refuse them.
  add(
    'wrong iss',
    await input.keyring.sign(input.kid, { ...claims, iss: `${input.issuer}.evil` }),
    'ISSUER_MISMATCH',
  );
  add(
    'iss missing',
    await input.keyring.sign(input.kid, { ...claims, iss: undefined }),
    'ISSUER_MISMATCH',
  );
  if (input.audience !== undefined) {
    add(
      'wrong aud',
      await input.keyring.sign(input.kid, { ...claims, aud: `${input.audience}-other` }),
      'AUDIENCE_MISMATCH',
    );
    add(
      'aud missing',
      await input.keyring.sign(input.kid, { ...claims, aud: undefined }),
      'AUDIENCE_MISMATCH',
    );
  }
  add(
    'expired',
    await input.keyring.sign(input.kid, {
      ...claims,
      iat: nowSeconds - 7200,
      exp: nowSeconds - 3600,
    }),
    'EXPIRED',
  );
  add(
    'not yet valid',
    await input.keyring.sign(input.kid, { ...claims, nbf: nowSeconds + 3600 }),
    'NOT_YET_VALID',
  );
  add(
    'exp missing',
    await input.keyring.sign(input.kid, { ...claims, exp: undefined }),
    'MALFORMED',
  );
  add(
    'exp a string',
    await input.keyring.sign(input.kid, { ...claims, exp: String(nowSeconds + 300) }),
    'MALFORMED',
  );
  return cases;
}

function baseClaims(input: AttackInput): Record<string, unknown> {
  const nowSeconds = Math.floor(input.now / 1000);
  return {
    iss: input.issuer,
    sub: 'attack-subject',
    ...(input.audience === undefined ? {} : { aud: input.audience }),
    iat: nowSeconds,
    exp: nowSeconds + 300,
    jti: 'attack-token',
  };
}

function requireKey(keyring: Keyring, kid: string, kind: 'ES256' | 'RSA'): KeyringKey {
  const key = keyring.get(kid);
  const fits =
    kind === 'ES256' ? key?.alg === 'ES256' : key?.alg.startsWith('RS') || key?.alg === 'PS256';
  if (key === undefined || !fits || key.publicPem === undefined) {
    throw new Error(`attack cases need an ${kind} key "${kid}" in the keyring`);
  }
  return key;
}

function segment(value: unknown): string {
  return Buffer.from(JSON.stringify(value), 'utf8').toString('base64url');
}

function signRaw(
  header: Record<string, unknown>,
  payload: Record<string, unknown>,
  signer: (data: Buffer) => Buffer,
): string {
  const input = `${segment(header)}.${segment(payload)}`;
  return `${input}.${signer(Buffer.from(input, 'ascii')).toString('base64url')}`;
}

function publicKeyDer(key: KeyringKey): Buffer {
  return createPublicKey(key.publicPem ?? '').export({ type: 'spki', format: 'der' });
}

/** The public key as the bytes a confused verifier would use as an HMAC secret. */
function publicKeyEncodings(key: KeyringKey): [string, Buffer][] {
  const pem = key.publicPem ?? '';
  return [
    ['PEM', Buffer.from(pem, 'utf8')],
    ['PEM without trailing newline', Buffer.from(pem.trimEnd(), 'utf8')],
    ['DER (SPKI)', publicKeyDer(key)],
    ['JWK JSON', Buffer.from(JSON.stringify(key.publicJwk), 'utf8')],
  ];
}

/** An ECDSA signature in ASN.1 DER, the encoding JWS forbids (RFC 7518 §3.4). */
function toDer(r: Uint8Array, s: Uint8Array): Buffer {
  const integer = (bytes: Uint8Array) => {
    let start = 0;
    while (start < bytes.length - 1 && bytes[start] === 0) start += 1;
    const body = Buffer.from(bytes.subarray(start));
    const padded = (body[0] ?? 0) & 0x80 ? Buffer.concat([Buffer.from([0]), body]) : body;
    return Buffer.concat([Buffer.from([0x02, padded.length]), padded]);
  };
  const content = Buffer.concat([integer(r), integer(s)]);
  return Buffer.concat([Buffer.from([0x30, content.length]), content]);
}
