import { ConfigError } from '@tessera/config';
import { describe, expect, it } from 'vitest';
import { readSidecarEnv } from '../src/config.js';
import { presentedToken } from '../src/decision/bearer-token.js';
import { identityHeaders, parseClaimHeaders } from '../src/decision/identity-headers.js';
import { normalizePath, parsePolicy, ruleFor, unmetRequirement } from '../src/decision/policy.js';

const base = { TESSERA_CONFIG: '/etc/tessera/realm.yaml', SIDECAR_API_KEY: 'k' };

describe('sidecar environment', () => {
  it('has the documented defaults', () => {
    expect(readSidecarEnv(base)).toMatchObject({
      SIDECAR_GRPC_ADDRESS: '127.0.0.1:9191',
      SIDECAR_HTTP_ADDRESS: '127.0.0.1:9192',
      SIDECAR_MAX_REVOCATION_STALENESS_SECONDS: 60,
      SIDECAR_STALE_MODE: 'fail-closed',
      SIDECAR_CACHE_MAX_ENTRIES: 10_000,
      SIDECAR_POLICY_FILE: '',
      SIDECAR_CLAIM_HEADERS: [],
      SIDECAR_STRIP_AUTHORIZATION: false,
      SIDECAR_RECONNECT_MAX_BACKOFF_MS: 500,
    });
  });

  it('refuses a missing API key, an unknown stale mode and a bad claim map, naming the variable', () => {
    for (const [env, name] of [
      [{ TESSERA_CONFIG: 'x' }, 'SIDECAR_API_KEY'],
      [{ ...base, SIDECAR_STALE_MODE: 'open' }, 'SIDECAR_STALE_MODE'],
      [{ ...base, SIDECAR_CLAIM_HEADERS: 'email' }, 'SIDECAR_CLAIM_HEADERS'],
      [{ ...base, SIDECAR_CLAIM_HEADERS: 'sub=x-tessera-roles' }, 'SIDECAR_CLAIM_HEADERS'],
    ] as const) {
      expect(() => readSidecarEnv(env)).toThrow(ConfigError);
      expect(() => readSidecarEnv(env)).toThrow(name);
    }
    expect(
      readSidecarEnv({ ...base, SIDECAR_CLAIM_HEADERS: 'email=X-User-Email, sid=x-session' })
        .SIDECAR_CLAIM_HEADERS,
    ).toEqual([
      { claim: 'email', header: 'x-user-email' },
      { claim: 'sid', header: 'x-session' },
    ]);
  });
});

describe('sidecar decision pieces', () => {
  it('reads a Bearer token or the access_token cookie, nothing else', () => {
    const from = (headers: Record<string, string>) => presentedToken((name) => headers[name]);
    expect(from({ authorization: 'bearer abc' })).toBe('abc');
    expect(from({ authorization: 'Basic abc' })).toBeUndefined();
    expect(from({ cookie: 'a=1; access_token=xyz' })).toBe('xyz');
    expect(from({ cookie: 'my_access_token=xyz' })).toBeUndefined();
  });

  it('matches rules by the longest prefix at a segment boundary, after normalizing the path', () => {
    const policy = parsePolicy(
      {
        rules: [
          { pathPrefix: '/api', roles: ['user'] },
          { pathPrefix: '/api/admin', methods: ['post', 'DELETE'], roles: ['admin'] },
        ],
      },
      'p',
    );
    expect(ruleFor(policy, 'POST', '/api/admin/x')?.roles).toEqual(['admin']);
    expect(ruleFor(policy, 'GET', '/api/admin/x')?.roles).toEqual(['user']);
    expect(ruleFor(policy, 'POST', '/api/%61dmin')?.roles).toEqual(['admin']);
    expect(ruleFor(policy, 'POST', '/x/../api/./admin?q=1')?.roles).toEqual(['admin']);
    expect(ruleFor(policy, 'GET', '/apis')).toBeUndefined();
    expect(normalizePath('//a//b/../c?x#y')).toBe('/a/c');
    expect(() => parsePolicy({ rules: [{ pathPrefix: 'api' }] }, 'p')).toThrow(ConfigError);
    expect(() => parsePolicy({ rules: [{ pathPrefix: '/a', scope: 'x' }] }, 'p')).toThrow(
      ConfigError,
    );
  });

  it('checks audience, scopes (scope or scp) and roles', () => {
    const rule = parsePolicy(
      { rules: [{ pathPrefix: '/', audience: 'app', scopes: ['read'], roles: ['r'] }] },
      'p',
    ).rules[0];
    if (rule === undefined) throw new Error('no rule');
    expect(unmetRequirement(rule, { aud: ['x', 'app'], scope: 'read write', roles: ['r'] })).toBe(
      undefined,
    );
    expect(unmetRequirement(rule, { aud: 'app', scp: ['read'], roles: ['r'] })).toBeUndefined();
    expect(unmetRequirement(rule, { aud: 'other', scope: 'read', roles: ['r'] })).toMatch(
      /audience/,
    );
    expect(unmetRequirement(rule, { aud: 'app', scope: 'reader', roles: ['r'] })).toMatch(/scope/);
    expect(unmetRequirement(rule, { aud: 'app', scope: 'read', roles: 'r' })).toBeUndefined();
    expect(unmetRequirement(rule, { aud: 'app', scope: 'read' })).toMatch(/role/);
  });

  it('forwards printable claims as headers and lists every other owned header for removal', () => {
    const headers = identityHeaders(
      { sub: 'u1', applicationId: 'a1', roles: ['a', 'b'], email: 'x\r\nInjected: 1', n: 5 },
      't1',
      parseClaimHeaders('email=x-email,n=x-n,missing=x-missing'),
    );
    expect(Object.fromEntries(headers.set)).toEqual({
      'x-tessera-subject': 'u1',
      'x-tessera-tenant': 't1',
      'x-tessera-application': 'a1',
      'x-tessera-roles': 'a,b',
      'x-n': '5',
    });
    expect(headers.unset).toEqual(['x-email', 'x-missing']);
  });
});
