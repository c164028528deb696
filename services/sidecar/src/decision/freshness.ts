import type { Clock } from '@tessera/clock';
import type { LocalValidator } from '@tessera/local-validation';

/** What the sidecar does once revocations are staler than its bound. */
export type StaleMode = 'fail-closed' | 'serve';

/** How current the validator's revocations are, judged against the staleness bound. */
export interface Freshness {
  /** Keys and the first revocation snapshot are in. */
  readonly loaded: boolean;
  /** Seconds since revocations were last known current; undefined before the first snapshot. */
  readonly lagSeconds: number | undefined;
  /** Loaded, and the lag is over the bound. */
  readonly stale: boolean;
  /** Tokens may be answered: loaded, and not stale unless the mode is `serve`. */
  readonly answering: boolean;
  /** What a readiness probe should say: answering (stale is never ready in fail-closed mode). */
  readonly ready: boolean;
}

/** Options of {@link freshnessOf}. */
export interface FreshnessOptions {
  readonly validator: Pick<LocalValidator, 'isReady' | 'revocationsCurrentAt'>;
  readonly clock: Clock;
  readonly maxStalenessSeconds: number;
  readonly staleMode: StaleMode;
}

/**
 * Judges the validator's revocations. A silent stream (the session service unreachable, a
 * network partition) leaves the revocations as they were; they are still used until the
 * bound passes, after which the sidecar either refuses everything (`fail-closed`) or keeps
 * answering and says so through its alarm metric (`serve`).
 */
export function freshnessOf(options: FreshnessOptions): Freshness {
  const loaded = options.validator.isReady();
  const lagSeconds = lagSecondsOf(options);
  const stale = loaded && isStale(lagSeconds, options);
  const answering = loaded && (!stale || options.staleMode === 'serve');
  return { loaded, lagSeconds, stale, answering, ready: answering };
}

/**
 * `freshnessOf(options).answering`, without building the report: every decision asks, and
 * in `serve` mode (or while revocations are current) the answer needs no more than this.
 */
export function isAnswering(options: FreshnessOptions): boolean {
  if (!options.validator.isReady()) return false;
  return options.staleMode === 'serve' || !isStale(lagSecondsOf(options), options);
}

function lagSecondsOf(options: FreshnessOptions): number | undefined {
  const at = options.validator.revocationsCurrentAt();
  return at === undefined ? undefined : Math.max(0, options.clock.now() - at) / 1000;
}

function isStale(lagSeconds: number | undefined, options: FreshnessOptions): boolean {
  return lagSeconds !== undefined && lagSeconds > options.maxStalenessSeconds;
}
