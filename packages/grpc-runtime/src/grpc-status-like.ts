import { Metadata, type ServiceError } from '@grpc/grpc-js';

/**
 * True for an error shaped like a grpc-js ServiceError (a failed client call). Node's own
 * errors carry string codes (`ECONNREFUSED`), so an integer code in the gRPC range plus
 * details and metadata is specific enough.
 */
export function isGrpcStatusLike(error: unknown): error is ServiceError {
  if (typeof error !== 'object' || error === null) return false;
  const { code, details, metadata } = error as Partial<
    Record<'code' | 'details' | 'metadata', unknown>
  >;
  return (
    typeof code === 'number' &&
    Number.isInteger(code) &&
    code >= 0 &&
    code <= 16 &&
    typeof details === 'string' &&
    metadata instanceof Metadata
  );
}
