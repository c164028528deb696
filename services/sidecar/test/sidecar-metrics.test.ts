import type { LocalValidator } from '@tessera/local-validation';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { createSidecarMetrics } from '../src/sidecar-metrics.js';

const validator = {
  state: () => ({
    keyRevision: 3n,
    revocationsCurrentAt: 0,
    cacheHits: 0,
    cacheMisses: 0,
    cacheSize: 0,
  }),
} as Pick<LocalValidator, 'state'> as LocalValidator;

const freshness = () => ({
  loaded: true,
  lagSeconds: 0,
  stale: false,
  answering: true,
  ready: true,
});

async function decisions(registry: Registry): Promise<Record<string, number>> {
  const metric = await registry.getSingleMetric('tessera_sidecar_decisions_total')?.get();
  return Object.fromEntries(
    (metric?.values ?? []).map((value) => [
      `${value.labels.mode}/${value.labels.reason}`,
      value.value,
    ]),
  );
}

describe('sidecar decision counts', () => {
  it('counts every decision exactly once across scrapes', async () => {
    const registry = new Registry();
    const metrics = createSidecarMetrics(registry, { validator, freshness });
    for (let i = 0; i < 3; i++) metrics.decided('envoy', 'ALLOWED');
    metrics.decided('auth-request', 'MISSING_TOKEN');
    expect(await decisions(registry)).toEqual({
      'envoy/ALLOWED': 3,
      'auth-request/MISSING_TOKEN': 1,
    });
    // A scrape with nothing new changes nothing; later decisions add to what was counted.
    expect(await decisions(registry)).toEqual({
      'envoy/ALLOWED': 3,
      'auth-request/MISSING_TOKEN': 1,
    });
    metrics.decided('envoy', 'ALLOWED');
    metrics.decided('envoy', 'INVALID_EXPIRED');
    expect(await decisions(registry)).toEqual({
      'envoy/ALLOWED': 4,
      'envoy/INVALID_EXPIRED': 1,
      'auth-request/MISSING_TOKEN': 1,
    });
    expect(await registry.metrics()).toContain(
      'tessera_sidecar_decisions_total{mode="envoy",reason="ALLOWED"} 4',
    );
  });
});
