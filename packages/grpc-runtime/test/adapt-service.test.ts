import { issuerV1 } from '@tessera/contracts';
import { pino } from 'pino';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { adaptService, createCallPipeline, registerService, serviceNameOf } from '../src/index.js';
import type { IssuerHandlers } from './support/issuer-harness.js';

const pipeline = createCallPipeline({
  logger: pino({ level: 'silent' }),
  registry: new Registry(),
});

describe('adaptService', () => {
  it('refuses a definition with a method that has no handler', () => {
    const handlers = { vend: async () => ({ token: '' }) } as unknown as IssuerHandlers;
    expect(() => adaptService(issuerV1.IssuerServiceService, handlers, pipeline)).toThrow(
      'no handler for /tessera.issuer.v1.IssuerService/Generate',
    );
  });

  it('refuses client-streaming methods', () => {
    const definition = {
      upload: { ...issuerV1.IssuerServiceService.vend, requestStream: true },
    };
    const handlers = { upload: async () => ({ token: '' }) } as never;
    expect(() => adaptService(definition, handlers, pipeline)).toThrow('not supported');
  });

  it('names services from their method paths', () => {
    expect(serviceNameOf(issuerV1.IssuerServiceService)).toBe('tessera.issuer.v1.IssuerService');
    expect(() => serviceNameOf({})).toThrow();
    const registration = registerService(
      { getJwks: issuerV1.IssuerServiceService.getJwks },
      { getJwks: async () => ({ jwksJson: '' }) },
    );
    expect(registration.name).toBe('tessera.issuer.v1.IssuerService');
    expect(Object.keys(registration.bind(pipeline))).toEqual(['getJwks']);
  });
});
