/**
 * Idempotency keys (`request_id`) of Create and Rotate. A caller whose reply was lost resends
 * the same request with the same id and gets the same answer, instead of a second session or
 * a refused "reuse" of the token its first attempt consumed.
 *
 * The window bounds what a request id is worth to someone who is not the caller: request ids
 * are not secret (they are logged and echoed), so a replay is honoured only shortly after the
 * original call, only while the family is live, and (Rotate) only for the immediate parent,
 * which yields the successor the caller already has, never a second branch, and never after
 * a revocation. Beyond the window a resent rotation is a reuse like any other.
 */

/** How long after a Create or a rotation a resend with the same request id is honoured. */
export const DEFAULT_IDEMPOTENCY_WINDOW_MS = 60_000;

/** The longest request id kept; longer ones are cut (they only ever match themselves). */
export const MAX_REQUEST_ID_LENGTH = 128;

/** What scopes a Create's request id: one caller's id never names another user's session. */
export function createRequestScope(input: {
  readonly tenantId: string;
  readonly applicationId: string;
  readonly userId: string;
  readonly requestId: string;
}): readonly string[] {
  return [input.tenantId, input.applicationId, input.userId, input.requestId];
}
