import type { Clock } from '@tessera/clock';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { LocalValidator } from './local-validator.js';

/**
 * Registers a local validator's metrics on `registry`, all read from `validator.state()` at
 * scrape time, so validating a token costs nothing extra:
 * - `tessera_local_validation_cache_hits_total`, `…_cache_misses_total`: verified-token cache
 *   lookups answered from the cache, and those that had to verify;
 * - `tessera_local_validation_cache_entries`: verified tokens held;
 * - `tessera_local_validation_key_set_revision`: the WatchKeys revision in force (-1 before
 *   the first key set);
 * - `tessera_local_validation_revocation_lag_seconds`: seconds since revocations were last
 *   known current (-1 before the first snapshot, and when no revocations are followed).
 */
export function registerLocalValidationMetrics(
  registry: Registry,
  validator: LocalValidator,
  clock: Clock,
): void {
  new Counter({
    name: 'tessera_local_validation_cache_hits_total',
    help: 'Validations answered from the verified-token cache (expiry and revocation re-checked).',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(validator.state().cacheHits);
    },
  });
  new Counter({
    name: 'tessera_local_validation_cache_misses_total',
    help: 'Validations that missed the verified-token cache and verified the signature.',
    registers: [registry],
    collect() {
      this.reset();
      this.inc(validator.state().cacheMisses);
    },
  });
  new Gauge({
    name: 'tessera_local_validation_cache_entries',
    help: 'Verified tokens held in the cache.',
    registers: [registry],
    collect() {
      this.set(validator.state().cacheSize);
    },
  });
  new Gauge({
    name: 'tessera_local_validation_key_set_revision',
    help: 'Revision of the key set in force (-1 before the first one).',
    registers: [registry],
    collect() {
      const revision = validator.state().keyRevision;
      this.set(revision === undefined ? -1 : Number(revision));
    },
  });
  new Gauge({
    name: 'tessera_local_validation_revocation_lag_seconds',
    help: 'Seconds since revocations were last known current (-1 before the first snapshot or when none are followed).',
    registers: [registry],
    collect() {
      const at = validator.state().revocationsCurrentAt;
      this.set(at === undefined ? -1 : Math.max(0, clock.now() - at) / 1000);
    },
  });
}
