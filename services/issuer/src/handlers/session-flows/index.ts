import type { issuerV1 } from '@tessera/contracts';
import type { UnaryHandler } from '@tessera/grpc-runtime';
import type { SessionFlowDeps } from './deps.js';
import { issueForApplication } from './issue-for-application.js';
import { reconcile } from './reconcile.js';
import { refresh } from './refresh.js';
import { startSession } from './start-session.js';

export type { SessionFlowDeps } from './deps.js';

/** The issuer RPCs that need the session service. */
export interface SessionFlowHandlers {
  readonly startSession: UnaryHandler<issuerV1.StartSessionRequest, issuerV1.StartSessionResponse>;
  readonly refresh: UnaryHandler<issuerV1.RefreshRequest, issuerV1.RefreshResponse>;
  readonly issueForApplication: UnaryHandler<
    issuerV1.IssueForApplicationRequest,
    issuerV1.IssueForApplicationResponse
  >;
  readonly reconcile: UnaryHandler<issuerV1.ReconcileRequest, issuerV1.ReconcileResponse>;
}

/**
 * StartSession, Refresh, IssueForApplication and Reconcile: the flows that pair an access
 * token with a refresh token kept by the session service, one file each. Each access token of
 * a session carries `sid` = the refresh-token id, so revoking the session reaches them.
 */
export function createSessionFlows(deps: SessionFlowDeps): SessionFlowHandlers {
  return {
    startSession: (request, ctx) => startSession(deps, request, ctx),
    refresh: (request, ctx) => refresh(deps, request, ctx),
    issueForApplication: (request, ctx) => issueForApplication(deps, request, ctx),
    reconcile: (request, ctx) => reconcile(deps, request, ctx),
  };
}
