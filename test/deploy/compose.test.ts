import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { REPO_ROOT } from './image-tree.js';
import { ALSO_REQUIRED, envSchemaOf } from './manifests.js';

// deploy/compose.yaml, checked without a container engine: what it runs, how it checks health,
// and that it sets only settings the code reads and every required one.

interface ComposeService {
  readonly image?: string;
  readonly command?: readonly string[];
  readonly environment?: Record<string, string>;
  readonly volumes?: readonly string[];
  readonly healthcheck?: { readonly test: readonly string[] };
  readonly user?: string;
  readonly read_only?: boolean;
  readonly cap_drop?: readonly string[];
  readonly depends_on?: Record<string, { condition: string }>;
  readonly ports?: readonly string[];
}

const compose = parse(readFileSync(join(REPO_ROOT, 'deploy/compose.yaml'), 'utf8'), {
  merge: true,
}) as { services: Record<string, ComposeService> };
const services = compose.services;

describe('deploy/compose.yaml', () => {
  it('runs Redis with an append-only file and noeviction, checked with PING', () => {
    const redis = services.redis;
    const command = (redis?.command ?? []).join(' ');
    expect(command).toContain('--appendonly yes');
    expect(command).toContain('--maxmemory-policy noeviction');
    expect(redis?.healthcheck?.test).toEqual(['CMD', 'redis-cli', 'ping']);
  });

  it.each(['session', 'issuer', 'gateway'])(
    '%s: the image, locked down, health-checked',
    (name) => {
      const service = services[name];
      expect(service?.command?.[0]).toBe(name);
      expect(service?.image).toBe('tessera:local');
      expect(service?.user).toMatch(/^[1-9][0-9]*:[1-9][0-9]*$/);
      expect(service?.read_only).toBe(true);
      expect(service?.cap_drop).toEqual(['ALL']);
      // The image has no shell: the check runs node on the script the image tree holds.
      expect(service?.healthcheck?.test.slice(0, 3)).toEqual([
        'CMD',
        'node',
        '/app/healthcheck.mjs',
      ]);
      expect(existsSync(join(REPO_ROOT, 'deploy/healthcheck.mjs'))).toBe(true);
      expect(service?.volumes).toContain('./realm:/etc/tessera/realm:ro');
      for (const dependency of Object.values(service?.depends_on ?? {}))
        expect(dependency.condition).toBe('service_healthy');
    },
  );

  it('the issuer has the signing keys; nothing else does', () => {
    for (const [name, service] of Object.entries(services)) {
      const hasKeys = (service.volumes ?? []).some((volume) =>
        volume.includes('/etc/tessera/keys'),
      );
      expect(hasKeys, name).toBe(name === 'issuer');
    }
  });

  it.each(['session', 'issuer', 'gateway'])(
    '%s: sets only settings the code reads, and every required one',
    (name) => {
      const schema = envSchemaOf(name);
      const set = Object.keys(services[name]?.environment ?? {});
      for (const variable of set) expect(schema?.names.has(variable), variable).toBe(true);
      for (const variable of [...(schema?.required ?? []), ...(ALSO_REQUIRED[name] ?? [])])
        expect(set).toContain(variable);
      // Secrets come from the operator's .env, never from this file.
      for (const [variable, value] of Object.entries(services[name]?.environment ?? {}))
        if (/KEY|PEPPER/.test(variable)) expect(value, variable).toMatch(/^\$\{[A-Z_]+:\?/);
    },
  );

  it('publishes the gateway API, and its management port (metrics) on loopback only', () => {
    expect(services.gateway?.environment?.GATEWAY_METRICS_ADDRESS).toBe('0.0.0.0:9466');
    expect(services.gateway?.ports).toEqual(['8080:8080', '127.0.0.1:9466:9466']);
    for (const name of ['session', 'issuer']) expect(services[name]?.ports).toBeUndefined();
  });
});
