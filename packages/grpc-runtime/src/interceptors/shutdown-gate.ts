import { TesseraError } from '@tessera/errors';
import type { Interceptor } from '../interceptor.js';

/**
 * Refuses calls once shutdown has begun with UNAVAILABLE (reason SHUTTING_DOWN), which
 * clients retry on another instance, instead of starting work this process may not finish.
 */
export function shutdownGate(shutdownSignal: AbortSignal): Interceptor {
  return (request, ctx, next) =>
    shutdownSignal.aborted
      ? Promise.reject(new TesseraError('SHUTTING_DOWN', 'server is shutting down'))
      : next(request, ctx);
}
