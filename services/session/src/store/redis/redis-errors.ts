import { TesseraError } from '@tessera/errors';
import type { z } from 'zod';

/**
 * One normaliser for anything a Redis call throws. Whatever keeps the store from answering
 * (connection refused or lost, timeouts, a cluster without a quorum, a replica that cannot
 * write, a dataset still loading) is UNAVAILABLE, so callers retry later and never take a
 * failure for an answer; any other error reply is a defect of ours and becomes INTERNAL.
 */

/** Error replies that mean "not now" rather than "wrong request". */
const TRANSIENT_REPLY =
  /^(LOADING|READONLY|CLUSTERDOWN|MASTERDOWN|TRYAGAIN|BUSY|NOREPLICAS|OOM|MOVED|ASK)\b/;

/** The message callers see; the underlying error stays in `cause` for logs. */
const UNAVAILABLE_MESSAGE = 'the session store is unavailable';

/** Maps an error thrown by a Redis call to a TesseraError (TesseraErrors pass through). */
export function toStoreError(error: unknown): TesseraError {
  if (error instanceof TesseraError) return error;
  if (
    error instanceof Error &&
    error.name === 'ReplyError' &&
    !TRANSIENT_REPLY.test(error.message)
  ) {
    return new TesseraError('INTERNAL', 'the session store rejected a command', { cause: error });
  }
  return new TesseraError('UNAVAILABLE', UNAVAILABLE_MESSAGE, { cause: error });
}

/** The error of a call that did not settle within its deadline. */
export function deadlineError(deadlineMs: number): TesseraError {
  return new TesseraError('UNAVAILABLE', UNAVAILABLE_MESSAGE, {
    metadata: { deadlineMs: String(deadlineMs) },
  });
}

/**
 * Parses a script's reply with its schema. A reply of a shape this code did not write is a
 * defect of ours (or someone else's keys), so INTERNAL, never a wrong answer.
 */
export function parseReply<T>(schema: z.ZodType<T>, value: unknown, what: string): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) {
    throw new TesseraError('INTERNAL', `unexpected ${what} reply from the session store`, {
      cause: parsed.error,
    });
  }
  return parsed.data;
}
