import { TesseraError } from '@tessera/errors';

/**
 * The failures of forking a session (IssueForApplication with a refresh token), shared by
 * both stores so that they answer alike.
 */

/** Why a fork's source was refused. */
export type SourceRefusal = 'unknown' | 'revoked' | 'expired';

/** The source session is not live (or not the user's): nothing to fork. */
export function sourceNotLive(cause: SourceRefusal): TesseraError {
  return new TesseraError('REFRESH_TOKEN_INVALID', `the session to fork is ${cause}`, {
    field: 'source_id',
    metadata: { cause },
  });
}

/** The root session has as many live forks as its tenant allows. */
export function forkLimitReached(maximum: number): TesseraError {
  return new TesseraError(
    'SESSION_FORK_LIMIT',
    `the session already has ${maximum} live forks, the most its tenant allows`,
    { field: 'source_id', metadata: { maximum: String(maximum) } },
  );
}
