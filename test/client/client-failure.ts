import { TesseraClientError } from '@tessera/client';

/** The TesseraClientError a call fails with; anything else (or success) fails the test. */
export async function failure(promise: Promise<unknown>): Promise<TesseraClientError> {
  const error = await promise.then(
    () => undefined,
    (caught: unknown) => caught,
  );
  if (!(error instanceof TesseraClientError))
    throw new Error(`expected a TesseraClientError, got ${String(error)}`);
  return error;
}
