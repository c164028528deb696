import type { Clock } from '@tessera/clock';
import type { TokenVerifier } from '@tessera/jwt-core';
import type { IssuerMetrics } from '../../issuer-metrics.js';
import type { IssuerSnapshot, IssuerState } from '../../issuer-state.js';
import type { SessionGateway } from '../../session-client/session-gateway.js';

/** What the session-backed flows need; every flow receives the same injected set. */
export interface SessionFlowDeps {
  readonly state: IssuerState;
  readonly clock: Clock;
  readonly session: SessionGateway;
  readonly verifierFor: (snapshot: IssuerSnapshot) => TokenVerifier;
  readonly metrics: IssuerMetrics;
}
