import { DEFAULT_COMMAND_TIMEOUT_MS } from './redis-client.js';
import { deadlineError, toStoreError } from './redis-errors.js';

/**
 * The deadline every store call gets on top of the client's command timeout. A cluster
 * client may spend longer than one command timeout (redirections, slot refreshes); the
 * deadline keeps a call bounded whatever the client does, so a dead Redis is UNAVAILABLE
 * within a known time and never a hang.
 */

/** A call's deadline for a client whose command timeout is `commandTimeoutMs`. */
export function storeDeadlineMs(commandTimeoutMs = DEFAULT_COMMAND_TIMEOUT_MS): number {
  return commandTimeoutMs + Math.min(commandTimeoutMs, 250);
}

/**
 * Runs Redis work under `deadlineMs`, normalising every failure with `toStoreError`
 * (UNAVAILABLE when the store cannot answer, INTERNAL for a rejected command).
 */
export async function withDeadline<T>(deadlineMs: number, operation: () => Promise<T>): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(deadlineError(deadlineMs)), deadlineMs);
  });
  try {
    return await Promise.race([operation(), deadline]);
  } catch (error) {
    throw toStoreError(error);
  } finally {
    clearTimeout(timer);
  }
}
