import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type GatewayStack, startGatewayStack } from '../support/gateway-stack.js';

let s: GatewayStack;
beforeAll(async () => {
  s = await startGatewayStack();
});
afterAll(() => s.close());

describe('GET /docs', () => {
  it('serves the interactive API page, its assets from the gateway itself, under a CSP', async () => {
    const page = await fetch(`${s.baseUrl}/docs`);
    expect(page.status).toBe(200);
    expect(page.headers.get('content-type')).toMatch(/^text\/html/);
    expect(page.headers.get('content-security-policy')).toContain("default-src 'self'");
    const html = await page.text();
    expect(html).toContain('swagger-ui');
    // No asset from a CDN: every script and stylesheet is relative to the gateway.
    expect(html).not.toMatch(/(src|href)="https?:/);

    const initializer = await fetch(`${s.baseUrl}/docs/static/swagger-initializer.js`);
    expect(initializer.status).toBe(200);
    await initializer.text();
    const bundle = await fetch(`${s.baseUrl}/docs/static/swagger-ui-bundle.js`);
    expect(bundle.status).toBe(200);
    expect(bundle.headers.get('content-type')).toMatch(/javascript/);
    await bundle.arrayBuffer();
  });

  it('renders the same OpenAPI document as /openapi.json', async () => {
    const fromDocs = (await (await fetch(`${s.baseUrl}/docs/json`)).json()) as {
      paths: Record<string, unknown>;
    };
    const published = (await (await fetch(`${s.baseUrl}/openapi.json`)).json()) as {
      paths: Record<string, unknown>;
    };
    expect(Object.keys(fromDocs.paths).sort()).toEqual(Object.keys(published.paths).sort());
    expect(fromDocs.paths).toHaveProperty(['/api/jwt/refresh']);
  });

  it('answers an unknown page under /docs with the gateway 404, not a crash', async () => {
    const response = await fetch(`${s.baseUrl}/docs/static/..%2f..%2fpackage.json`);
    expect([403, 404]).toContain(response.status);
    const body = await response.text();
    expect(body).not.toContain('"name": "tessera"');
  });
});
