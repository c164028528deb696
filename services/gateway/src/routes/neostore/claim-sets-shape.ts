import { ApiError } from '../../http/api-errors.js';
import { bodyFieldOf } from './neostore-problems.js';

/**
 * Checks the body against Neostore's schema (an array of arrays of `WebClaim`) before the
 * gateway's schema validator sees it. That validator coerces types (`coerceTypes: 'array'`):
 * it would wrap a flat list of claims into one claim set per claim, and turn `42` or `["x"]`
 * into strings — a different request than the caller sent. ASP.NET Core refuses those, and
 * so does this. Returns the first violation, named as the request names fields.
 */
export function claimSetsShapeProblem(body: unknown): ApiError | undefined {
  if (!Array.isArray(body)) return invalid([], 'must be an array of claim sets');
  for (const [i, set] of body.entries()) {
    if (!Array.isArray(set)) return invalid([i], 'must be an array of claims');
    for (const [j, claim] of set.entries()) {
      if (typeof claim !== 'object' || claim === null || Array.isArray(claim)) {
        return invalid([i, j], 'must be an object');
      }
      for (const [name, value] of Object.entries(claim)) {
        if (name === 'type' || name === 'value') {
          if (typeof value !== 'string') return invalid([i, j, name], 'must be string');
        } else if (name !== 'valueType') {
          return invalid([i, j, name], 'is not a member of the schema');
        } else if (value !== null && typeof value !== 'string') {
          return invalid([i, j, name], 'must be string or null');
        }
      }
    }
  }
  return undefined;
}

function invalid(path: readonly (string | number)[], message: string): ApiError {
  const field = bodyFieldOf(path);
  return new ApiError({ status: 400, field, message: `The ${field} field ${message}.` });
}
