import { status } from '@grpc/grpc-js';
import { ApiError } from '../../http/api-errors.js';
import { toApiError } from '../../http/backend-errors.js';

/**
 * Neostore's failures as ASP.NET Core reports them: RFC 9457 problem details, and for a bad
 * request `errors` keyed by the field in the request's own naming — `validityDuration`,
 * `[1][0].type` (claim 0 of claim set 1), `$` for the body as a whole.
 */

/** The field name Neostore callers see for the whole request body. */
export const BODY_FIELD = '$';

interface AjvError {
  readonly keyword: string;
  readonly instancePath: string;
  readonly params: Readonly<Record<string, unknown>>;
  readonly message?: string;
}

/** A fastify validation error (`request.validationError`) as a Neostore 400. */
export function validationProblem(
  error: Error & { validation?: unknown; validationContext?: string },
): ApiError {
  const first = Array.isArray(error.validation)
    ? (error.validation[0] as AjvError | undefined)
    : undefined;
  const inBody = error.validationContext === 'body';
  const segments = (first?.instancePath ?? '')
    .split('/')
    .slice(1)
    .map((segment) => segment.replaceAll('~1', '/').replaceAll('~0', '~'));
  const named = first === undefined ? undefined : namedProperty(first);
  if (named !== undefined) segments.push(named);
  const field = inBody ? bodyFieldOf(segments) : segments.join('.') || BODY_FIELD;
  return new ApiError({ status: 400, field, message: messageOf(first, field) });
}

/**
 * A failed Generate call as the ApiError to answer with: the gateway's one status table,
 * with the issuer's proto field paths (`claim_sets[1].claims[0].type`) renamed to the
 * request's (`[1][0].type`).
 */
export function backendProblem(error: unknown): ApiError {
  // An error claiming OK is a broken backend, not a success.
  const apiError = toApiError(error, { statuses: { [status.OK]: 500 } });
  const { field, message } = apiError.problem;
  if (field === undefined) return apiError;
  return new ApiError({
    ...apiError.problem,
    field: requestFieldOf(field),
    // The issuer prefixes claim-set failures with their proto path; the field already says where.
    message: message.replace(/^claim_sets\[\d+\]: /, ''),
  });
}

/** The request's name of an issuer field path (`claim_sets[1].claims[0].value_type` → `[1][0].valueType`). */
export function requestFieldOf(protoField: string): string {
  const claimSet = /^claim_sets(\[\d+\])?(?:\.claims(\[\d+\])?)?(.*)$/.exec(protoField);
  if (claimSet === null) return camelCase(protoField);
  const path = `${claimSet[1] ?? ''}${claimSet[2] ?? ''}${camelCase(claimSet[3] ?? '')}`;
  return path === '' ? BODY_FIELD : path;
}

function camelCase(path: string): string {
  return path.replace(/_([a-z0-9])/g, (_, letter: string) => letter.toUpperCase());
}

function namedProperty(error: AjvError): string | undefined {
  const name =
    error.keyword === 'required'
      ? error.params.missingProperty
      : error.keyword === 'additionalProperties'
        ? error.params.additionalProperty
        : undefined;
  return typeof name === 'string' ? name : undefined;
}

/** A path into the body as the request names it: `["1", "0", "type"]` → `[1][0].type`. */
export function bodyFieldOf(segments: readonly (string | number)[]): string {
  if (segments.length === 0) return BODY_FIELD;
  return segments
    .map((part, i) => {
      const segment = String(part);
      if (/^\d+$/.test(segment)) return `[${segment}]`;
      if (/^[A-Za-z_$][\w$]*$/.test(segment)) return i === 0 ? segment : `.${segment}`;
      return `[${JSON.stringify(segment)}]`;
    })
    .join('');
}

function messageOf(error: AjvError | undefined, field: string): string {
  if (error?.keyword === 'required') return `The ${field} field is required.`;
  if (error?.keyword === 'additionalProperties')
    return `The ${field} field is not a member of the schema.`;
  return `The ${field} field ${error?.message ?? 'is invalid'}.`;
}
