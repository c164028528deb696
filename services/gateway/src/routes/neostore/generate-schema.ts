import type { FastifySchema } from 'fastify';
import { REQUEST_MEDIA_TYPES, RESPONSE_MEDIA_TYPES } from './media-types.js';

/**
 * The JSON schemas of Neostore's tokens/generate, as its OpenAPI document writes
 * them: they validate the request and form the gateway's own OpenAPI description.
 */

/** Neostore's `WebClaim`: one claim of a claim set. */
export const WEB_CLAIM_SCHEMA = {
  $id: 'WebClaim',
  type: 'object',
  description: 'Claim to generate JWT token for',
  properties: {
    type: { type: 'string', description: 'claim type' },
    value: { type: 'string', description: 'Value' },
    valueType: {
      type: ['null', 'string'],
      description:
        'optional value type: a .NET claim value type such as http://www.w3.org/2001/XMLSchema#integer, or JSON, JSON_ARRAY, JSON_NULL',
    },
  },
  additionalProperties: false,
} as const;

/** RFC 9457 problem details, as ASP.NET Core writes them. */
export const PROBLEM_DETAILS_SCHEMA = {
  $id: 'ProblemDetails',
  type: 'object',
  description: 'RFC 9457 problem details',
  properties: {
    type: { type: ['null', 'string'], description: 'A URI reference for the problem type' },
    title: { type: ['null', 'string'], description: 'A short summary of the problem type' },
    status: { type: ['null', 'integer'], format: 'int32', description: 'The HTTP status' },
    detail: { type: ['null', 'string'], description: 'What went wrong with this request' },
    instance: { type: ['null', 'string'], description: 'The request path' },
  },
  additionalProperties: true,
} as const;

/** Problem details of a request that failed validation, with the messages per field. */
export const HTTP_VALIDATION_PROBLEM_DETAILS_SCHEMA = {
  $id: 'HttpValidationProblemDetails',
  type: 'object',
  description: 'RFC 9457 problem details with the validation errors of each request field',
  properties: {
    ...PROBLEM_DETAILS_SCHEMA.properties,
    errors: {
      type: 'object',
      description:
        'Field → messages. Fields are named as in the request: `validityDuration`, `[1][0].type` (claim 0 of claim set 1), `$` (the whole body)',
      additionalProperties: { type: 'array', items: { type: 'string' } },
    },
  },
  additionalProperties: true,
} as const;

/** Every shared schema the route refers to, for `app.addSchema`. */
export const NEOSTORE_SHARED_SCHEMAS = [
  WEB_CLAIM_SCHEMA,
  PROBLEM_DETAILS_SCHEMA,
  HTTP_VALIDATION_PROBLEM_DETAILS_SCHEMA,
] as const;

const TOKENS = { type: 'array', items: { type: 'string', description: 'A compact JWS' } } as const;

const problem = (description: string, ref = 'ProblemDetails#') => ({
  description,
  content: { 'application/problem+json': { schema: { $ref: ref } } },
});

const DESCRIPTION = `Creates one or more JWT tokens with custom claims for advanced authentication scenarios.

## Authorization
Requires <c>AuthenticationToken.Write</c> scope: an API key in <c>X-API-KEY</c> holding the scope, or <c>Authorization: Bearer</c> with a token of the tenant whose <c>scope</c> contains it. When both are sent, the API key is used.

## Validity Duration
- Default: 10 years (3650.00:00:00.000), capped by the tenant's maximum
- Configurable via query parameter in TimeSpan format
- Examples: <c>1.00:00:00</c> (1 day), <c>30.00:00:00</c> (30 days)

## Request Format
Accepts an array of claim sets, where each set generates one token, in order:
<c>[[{"type": "sub", "value": "user123"}, {"type": "email", "value": "user@example.com"}]]</c>

## Response Format
A JSON array of tokens, as <c>application/json</c> (default), <c>text/json</c> or <c>text/plain</c> by <c>Accept</c>.`;

/** The route schema of `POST /api/{tenantId}/tokens/generate`. */
export const GENERATE_ROUTE_SCHEMA: FastifySchema & Record<string, unknown> = {
  tags: ['Neostore'],
  operationId: 'neostoreGenerateTokens',
  summary: 'Generate JWT tokens from custom claims',
  description: DESCRIPTION,
  security: [{ neostoreApiKey: [] }, { bearer: [] }],
  consumes: [...REQUEST_MEDIA_TYPES],
  params: {
    type: 'object',
    required: ['tenantId'],
    properties: {
      tenantId: {
        type: 'string',
        minLength: 1,
        description: 'The tenant whose keys sign the tokens',
      },
    },
  },
  querystring: {
    type: 'object',
    properties: {
      validityDuration: {
        type: 'string',
        description:
          'Optional validity duration in TimeSpan format (e.g., "1.00:00:00" for 1 day). Default is 10 years',
      },
    },
  },
  body: {
    type: 'array',
    description: 'Array of claim sets; each set generates one JWT token',
    items: {
      type: 'array',
      description: 'One claim set: the claims of one token',
      items: { $ref: 'WebClaim#' },
    },
  },
  response: {
    200: {
      description: 'Tokens generated successfully.',
      content: Object.fromEntries(RESPONSE_MEDIA_TYPES.map((type) => [type, { schema: TOKENS }])),
    },
    400: problem(
      'The request is invalid: a field fails validation, or a limit (claim sets per request, claims per set) is exceeded.',
      'HttpValidationProblemDetails#',
    ),
    401: problem('Caller not authenticated.'),
    403: problem('Caller lacks AuthenticationToken.Write scope, or may not act on this tenant.'),
    404: problem('No tenant has this id.'),
    413: problem('The request body is larger than the gateway accepts.'),
    415: problem('The request body is not JSON (application/json, text/json, application/*+json).'),
    500: problem('Unexpected server error.'),
    503: problem('A backend service is unavailable; retry later.'),
    504: problem('A backend service did not answer in time.'),
  },
};
