import type { LocalValidator } from '@tessera/local-validation';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DecisionReason } from './decision/decide.js';
import type { Freshness } from './decision/freshness.js';

/** Where a decision was asked for. */
export type DecisionMode = 'envoy' | 'auth-request' | 'validate' | 'fusionauth';

/** The sidecar's own metrics (the RPC metrics come from the gRPC runtime). */
export interface SidecarMetrics {
  decided(mode: DecisionMode, reason: DecisionReason | 'VALID'): void;
}

/**
 * Registers the sidecar's metrics on `registry`: decisions by mode and reason, and, read at
 * scrape time, the cache hit ratio and size, the key-set revision, the revocation lag and the
 * stale alarm (1 while revocations are over the staleness bound, whatever the mode).
 */
export function createSidecarMetrics(
  registry: Registry,
  sources: { readonly validator: LocalValidator; readonly freshness: () => Freshness },
): SidecarMetrics {
  // Decisions are counted in plain numbers and added to the counter when it is scraped:
  // prom-client hashes the label set on every inc(), and a decision is the sidecar's hot path.
  const uncounted = new Map<DecisionMode, Map<string, number>>();
  new Counter({
    name: 'tessera_sidecar_decisions_total',
    help: 'Access decisions, by where they were asked for and their reason (ALLOWED, VALID, INVALID_<reason>, MISSING_TOKEN, INSUFFICIENT_SCOPE, UNAVAILABLE).',
    labelNames: ['mode', 'reason'],
    registers: [registry],
    collect() {
      for (const [mode, byReason] of uncounted) {
        for (const [reason, count] of byReason) {
          if (count > 0) this.inc({ mode, reason }, count);
        }
        byReason.clear();
      }
    },
  });
  new Gauge({
    name: 'tessera_sidecar_cache_hit_ratio',
    help: 'Share of cache lookups answered from the verified-token cache since start.',
    registers: [registry],
    collect() {
      const { cacheHits, cacheMisses } = sources.validator.state();
      const total = cacheHits + cacheMisses;
      this.set(total === 0 ? 0 : cacheHits / total);
    },
  });
  new Gauge({
    name: 'tessera_sidecar_cache_entries',
    help: 'Verified tokens held in the cache (bounded by SIDECAR_CACHE_MAX_ENTRIES).',
    registers: [registry],
    collect() {
      this.set(sources.validator.state().cacheSize);
    },
  });
  new Gauge({
    name: 'tessera_sidecar_key_set_revision',
    help: 'Revision of the key set in force (-1 before the first one).',
    registers: [registry],
    collect() {
      const revision = sources.validator.state().keyRevision;
      this.set(revision === undefined ? -1 : Number(revision));
    },
  });
  new Gauge({
    name: 'tessera_sidecar_revocation_lag_seconds',
    help: 'Seconds since revocations were last confirmed current (-1 before the first snapshot).',
    registers: [registry],
    collect() {
      this.set(sources.freshness().lagSeconds ?? -1);
    },
  });
  new Gauge({
    name: 'tessera_sidecar_revocations_stale',
    help: 'Alarm: 1 while revocations are staler than SIDECAR_MAX_REVOCATION_STALENESS_SECONDS.',
    registers: [registry],
    collect() {
      this.set(sources.freshness().stale ? 1 : 0);
    },
  });
  new Gauge({
    name: 'tessera_sidecar_ready',
    help: '1 while the sidecar answers tokens (keys and revocations loaded, not stale or serving stale).',
    registers: [registry],
    collect() {
      this.set(sources.freshness().ready ? 1 : 0);
    },
  });
  return {
    decided(mode, reason) {
      let byReason = uncounted.get(mode);
      if (byReason === undefined) {
        byReason = new Map();
        uncounted.set(mode, byReason);
      }
      byReason.set(reason, (byReason.get(reason) ?? 0) + 1);
    },
  };
}
