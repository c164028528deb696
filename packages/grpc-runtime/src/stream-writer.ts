import type { ServerWritableStream } from '@grpc/grpc-js';
import type { Logger } from 'pino';

/**
 * Writes every message of `source` to a server-stream, waiting for `drain` whenever grpc-js
 * buffers are full. Stops as soon as `signal` aborts, even while the source is waiting for
 * its next message, and then calls the iterator's `return()` (without awaiting it: a
 * generator busy in an `await` only runs its `finally` once that await settles).
 */
export async function writeStream(
  source: AsyncIterable<unknown>,
  call: ServerWritableStream<unknown, unknown>,
  signal: AbortSignal,
  log: Logger,
): Promise<void> {
  signal.throwIfAborted();
  const iterator = source[Symbol.asyncIterator]();
  let finished = false;
  try {
    for (;;) {
      let result: IteratorResult<unknown>;
      try {
        result = await untilAborted(iterator.next(), signal);
      } catch (error) {
        // The source itself failed: it is over, there is nothing to return().
        if (!signal.aborted) finished = true;
        throw error;
      }
      if (result.done) {
        finished = true;
        return;
      }
      if (!call.write(result.value)) await drained(call, signal);
      signal.throwIfAborted();
    }
  } finally {
    if (!finished && iterator.return) {
      iterator.return().catch((error: unknown) => {
        log.warn({ err: error }, 'server-stream source failed while closing');
      });
    }
  }
}

function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    // Settling after an abort is harmless: the promise is already rejected, and the
    // handlers below keep a late rejection of `promise` from going unhandled.
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
  });
}

function drained(call: ServerWritableStream<unknown, unknown>, signal: AbortSignal): Promise<void> {
  return new Promise<void>((resolve, reject) => {
    const onDrain = () => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    };
    const onAbort = () => {
      call.off('drain', onDrain);
      reject(signal.reason);
    };
    if (signal.aborted) {
      reject(signal.reason);
      return;
    }
    call.once('drain', onDrain);
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
