import { Counter, type Registry } from 'prom-client';

/** The session service's own metrics, beside the RED metrics every gRPC server has. */
export interface SessionMetrics {
  /** Sessions created and revoked. */
  readonly sessions: Counter<'outcome'>;
  /** Rotation outcomes: rotated, reused-allowed, unknown, expired, revoked, reused. */
  readonly rotations: Counter<'outcome'>;
}

/** Registers the session metrics in `registry`. */
export function createSessionMetrics(registry: Registry): SessionMetrics {
  return {
    sessions: new Counter({
      name: 'tessera_sessions_total',
      help: 'Refresh-token families created and revoked.',
      labelNames: ['outcome'],
      registers: [registry],
    }),
    rotations: new Counter({
      name: 'tessera_refresh_rotations_total',
      help: 'Refresh-token uses by outcome.',
      labelNames: ['outcome'],
      registers: [registry],
    }),
  };
}
