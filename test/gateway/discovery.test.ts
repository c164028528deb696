import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';

let s: GatewayStack;
beforeAll(async () => {
  s = await startGatewayStack();
});
afterAll(() => s.close());

const get = (path: string, headers: Record<string, string> = {}) =>
  fetch(`${s.baseUrl}${path}`, { headers });

describe('GET /.well-known/jwks.json', () => {
  it('serves every published key of every tenant as a JWKS', async () => {
    const response = await get('/.well-known/jwks.json');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('application/json; charset=utf-8');
    const { keys } = (await response.json()) as { keys: Record<string, unknown>[] };
    expect(keys.map((key) => key.kid).sort()).toEqual(['a-eddsa', 'a-es256', 'a-rs256', 'b-es256']);
    for (const key of keys) {
      expect(key).not.toHaveProperty('d');
      expect(typeof key.alg).toBe('string');
    }
  });

  it('is the same key set as webMethods certs', async () => {
    const fusionAuth = await (await get('/.well-known/jwks.json')).json();
    const webMethods = await (await get('/rest/pub/apigateway/jwt/certs')).json();
    expect(fusionAuth).toEqual(webMethods);
  });
});

describe('GET /.well-known/openid-configuration', () => {
  it('describes the first tenant of the realm file when no tenant is named', async () => {
    const response = await get('/.well-known/openid-configuration');
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toMatch(/^application\/json/);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      issuer: s.realm.issuerA,
      // The tenant's issuer is an https URL: the keys are published under it (finding 12).
      jwks_uri: `${s.realm.issuerA}/.well-known/jwks.json`,
      subject_types_supported: ['public'],
    });
    expect(body.id_token_signing_alg_values_supported).toEqual(['ES256', 'RS256', 'EdDSA']);
    expect(body.claims_supported).toEqual(expect.arrayContaining(['sub', 'sid', 'tid', 'roles']));
  });

  it('describes the tenant of X-FusionAuth-TenantId, or of the path', async () => {
    const byHeader = (await (
      await get('/.well-known/openid-configuration', { 'X-FusionAuth-TenantId': s.realm.tenantB })
    ).json()) as Record<string, unknown>;
    expect(byHeader).toMatchObject({
      issuer: s.realm.issuerB,
      id_token_signing_alg_values_supported: ['ES256'],
    });
    const byPath = (await (
      await get(`/.well-known/openid-configuration/${s.realm.tenantB}`)
    ).json()) as Record<string, unknown>;
    expect(byPath).toEqual(byHeader);
  });

  it('lists no algorithm for a tenant whose keys are never published (HMAC)', async () => {
    const body = (await (
      await get('/.well-known/openid-configuration', { 'X-FusionAuth-TenantId': s.realm.tenantH })
    ).json()) as Record<string, unknown>;
    expect(body).toMatchObject({
      issuer: 'https://h.example',
      id_token_signing_alg_values_supported: [],
    });
  });

  it('answers an unknown tenant with FusionAuth’s empty 404', async () => {
    for (const response of [
      await get('/.well-known/openid-configuration', { 'X-FusionAuth-TenantId': 'nope' }),
      await get('/.well-known/openid-configuration/00000000-0000-4000-8000-000000000000'),
    ]) {
      expect(response.status).toBe(404);
      expect(await response.text()).toBe('');
    }
  });

  it("finding 12: builds jwks_uri from the tenant's https issuer, never from the request's Host", async () => {
    const port = new URL(s.baseUrl).port;
    const response = await fetch(`http://localhost:${port}/.well-known/openid-configuration`);
    const body = (await response.json()) as Record<string, unknown>;
    expect(body.jwks_uri).toBe(`${s.realm.issuerA}/.well-known/jwks.json`);
    const forged = await s.gateway.inject({
      method: 'GET',
      url: '/.well-known/openid-configuration',
      headers: { host: 'attacker.example' },
    });
    expect(forged.json().jwks_uri).toBe(`${s.realm.issuerA}/.well-known/jwks.json`);
  });
});

describe('GET /openapi.json', () => {
  it('describes every route in OpenAPI 3.1, but not itself', async () => {
    const response = await get('/openapi.json');
    expect(response.status).toBe(200);
    const document = (await response.json()) as {
      openapi: string;
      paths: Record<string, Record<string, Record<string, unknown>>>;
      components: { schemas: Record<string, unknown> };
    };
    expect(document.openapi).toBe('3.1.0');
    expect(Object.keys(document.paths)).toEqual(
      expect.arrayContaining([
        '/api/{tenantId}/tokens/generate',
        '/gateway/security/getJsonWebToken',
        '/rest/pub/apigateway/jwt/certs',
        '/.well-known/jwks.json',
        '/.well-known/openid-configuration',
        '/healthz',
        '/readyz',
      ]),
    );
    expect(document.paths).not.toHaveProperty('/openapi.json');
    // Metrics live on the management port, and the API page is no API.
    expect(document.paths).not.toHaveProperty('/metrics');
    expect(Object.keys(document.paths).filter((path) => path.startsWith('/docs'))).toEqual([]);
    // Shared schemas are components (named by $id once swagger's refResolver says so).
    expect(Object.values(document.components.schemas)).toContainEqual(
      expect.objectContaining({
        description: 'Claim to generate JWT token for',
        additionalProperties: false,
      }),
    );
  });

  it("gives Neostore's generate its documented media types, parameters and responses", async () => {
    const document = (await (await get('/openapi.json')).json()) as {
      paths: Record<string, Record<string, Record<string, unknown>>>;
    };
    const operation = document.paths['/api/{tenantId}/tokens/generate']?.post as {
      requestBody: { content: Record<string, unknown> };
      responses: Record<string, { content?: Record<string, unknown>; description: string }>;
      parameters: { name: string; in: string }[];
      description: string;
    };
    expect(Object.keys(operation.requestBody.content).sort()).toEqual([
      'application/*+json',
      'application/json',
      'text/json',
    ]);
    expect(Object.keys(operation.responses['200']?.content ?? {}).sort()).toEqual([
      'application/json',
      'text/json',
      'text/plain',
    ]);
    expect(Object.keys(operation.responses)).toEqual(
      expect.arrayContaining(['200', '400', '401', '403']),
    );
    expect(operation.parameters.map((p) => `${p.in}:${p.name}`).sort()).toEqual([
      'path:tenantId',
      'query:validityDuration',
    ]);
    expect(operation.description).toMatch(/AuthenticationToken\.Write/);
  });

  it('gives every operation a summary and every response a description', async () => {
    const document = (await (await get('/openapi.json')).json()) as {
      paths: Record<
        string,
        Record<string, { summary?: string; responses: Record<string, { description?: string }> }>
      >;
    };
    for (const [path, operations] of Object.entries(document.paths)) {
      for (const [method, operation] of Object.entries(operations)) {
        expect(operation.summary, `${method} ${path}`).toMatch(/\S/);
        for (const [code, response] of Object.entries(operation.responses)) {
          expect(response.description, `${method} ${path} ${code}`).toMatch(/\S/);
          expect(response.description, `${method} ${path} ${code}`).not.toBe('Default Response');
        }
      }
    }
  });
});
