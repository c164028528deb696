import type { FastifyContextConfig } from 'fastify';
import { TENANT_HEADER } from './tenant-scope.js';

/** Route config of every FusionAuth route: errors leave as FusionAuth's errors JSON. */
export const FUSIONAUTH_ROUTE: FastifyContextConfig = Object.freeze({ api: 'fusionauth' });

/** The OpenAPI tag of the FusionAuth routes. */
export const TAGS = ['FusionAuth JWT API'];

/** OpenAPI security of API-key routes (raw key or `Basic` in `Authorization`). */
export const API_KEY_SECURITY = [{ apiKey: [] }];

/** OpenAPI security of JWT-authenticated routes (`Bearer`, or the `access_token` cookie). */
export const JWT_SECURITY = [{ bearer: [] }];

/** The tenant header, documented on every route that reads it. */
export const TENANT_HEADERS = {
  type: 'object',
  properties: {
    [TENANT_HEADER]: {
      type: 'string',
      description:
        'X-FusionAuth-TenantId: the tenant this request is scoped to. Optional when the tenant can be inferred (a tenant-locked API key, the application named, or a single tenant).',
    },
  },
} as const;

/**
 * A query parameter holding a UUID. FusionAuth's official client sends absent values as the
 * literal strings `null` and `undefined`; they (and the empty string) mean absent.
 */
export function uuidParameter(description: string) {
  return {
    type: 'string',
    description,
    anyOf: [{ format: 'uuid' }, { enum: ['', 'null', 'undefined'] }],
  } as const;
}

/** A body member that may also be JSON `null` (the official client serialises unset fields so). */
export function nullable<T extends { type: string }>(schema: T) {
  return { ...schema, type: [schema.type, 'null'] } as const;
}

const ERROR_ITEM = {
  type: 'object',
  properties: {
    code: {
      type: 'string',
      description: 'A stable code, e.g. `[invalid]refreshToken` or `[TenantIdRequired]`.',
    },
    message: { type: 'string', description: 'A human-readable description.' },
    data: {
      type: 'object',
      additionalProperties: true,
      description: 'Details, when there are any.',
    },
  },
} as const;

/** FusionAuth's errors JSON, the body of every 400. */
export const ERRORS_RESPONSE = {
  description: 'The request was invalid and/or malformed: an Errors JSON object.',
  type: 'object',
  properties: {
    fieldErrors: {
      type: 'object',
      description: 'Errors by request field.',
      additionalProperties: { type: 'array', items: ERROR_ITEM },
    },
    generalErrors: {
      type: 'array',
      description: 'Errors of the request as a whole.',
      items: ERROR_ITEM,
    },
  },
} as const;

/** A documented answer with no body. */
export function emptyResponse(description: string) {
  return { description, type: 'null' } as const;
}

/** The empty-bodied failures every FusionAuth route may answer with. */
export const EMPTY_FAILURES = {
  500: emptyResponse('There was an internal error. The response is empty.'),
  503: emptyResponse('A backend is unavailable; retry later. The response is empty.'),
} as const;

/** 401 of API-key routes. */
export const API_KEY_401 = emptyResponse(
  'You did not supply a valid Authorization header, the header was omitted or your API key was not valid. The response is empty.',
);

/** 401 of JWT-authenticated routes. */
export const JWT_401 = emptyResponse(
  'You did not supply a valid JWT (Authorization: Bearer or the access_token cookie), or it is expired. The response is empty.',
);
