import type { sessionV1 } from '@tessera/contracts';

/** FusionAuth's RefreshToken object as the retrieve APIs answer it. */
export interface RefreshTokenJson {
  readonly id: string;
  readonly tenantId: string;
  readonly applicationId: string;
  readonly userId: string;
  readonly insertInstant: number;
  readonly startInstant: number;
  readonly metaData: {
    readonly device: Readonly<Record<string, string | number>>;
    readonly scopes: readonly string[];
  };
  readonly data?: Record<string, unknown>;
}

function dataOf(json: string): Record<string, unknown> | undefined {
  try {
    const value: unknown = JSON.parse(json || '{}');
    if (typeof value !== 'object' || value === null || Array.isArray(value)) return undefined;
    return Object.keys(value).length > 0 ? (value as Record<string, unknown>) : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A session record in FusionAuth's shape: instants in epoch milliseconds, the device under
 * `metaData`, unset device fields left out. The token value itself is never available: the
 * session service keeps only its hash.
 */
export function refreshTokenJson(record: sessionV1.RefreshToken): RefreshTokenJson {
  const device: Record<string, string | number> = {};
  for (const name of ['description', 'lastAccessedAddress', 'name', 'type'] as const) {
    const value = record.device?.[name] ?? '';
    if (value !== '') device[name] = value;
  }
  const lastAccessed = Number(record.device?.lastAccessedInstant ?? 0n);
  if (lastAccessed > 0) device.lastAccessedInstant = lastAccessed;
  const data = dataOf(record.dataJson);
  return {
    id: record.id,
    tenantId: record.tenantId,
    applicationId: record.applicationId,
    userId: record.userId,
    insertInstant: Number(record.insertInstant),
    startInstant: Number(record.startInstant),
    metaData: { device, scopes: record.scopes },
    ...(data ? { data } : {}),
  };
}

/** The JSON schema of {@link RefreshTokenJson}, for responses and the OpenAPI document. */
export const REFRESH_TOKEN_SCHEMA = {
  type: 'object',
  description:
    'A refresh token (FusionAuth RefreshToken). The token value itself is never returned.',
  properties: {
    id: {
      type: 'string',
      format: 'uuid',
      description:
        'The Id of the Refresh Token, stable across rotations (the access tokens\u2019 `sid`).',
    },
    tenantId: { type: 'string', format: 'uuid', description: 'The Id of the tenant.' },
    applicationId: {
      type: 'string',
      description:
        'The Id of the Application for which this token is authorized to be exchanged for a new Access Token.',
    },
    userId: {
      type: 'string',
      format: 'uuid',
      description: 'The User Id of the user for which this Refresh Token was issued.',
    },
    insertInstant: {
      type: 'integer',
      description: 'The instant this Refresh Token was issued (epoch milliseconds).',
    },
    startInstant: {
      type: 'integer',
      description:
        'The instant of the start of this Refresh Token, used to calculate its expiration (epoch milliseconds).',
    },
    metaData: {
      type: 'object',
      properties: {
        device: {
          type: 'object',
          description: 'The device the token was issued to.',
          properties: {
            description: { type: 'string', description: 'A description of the device.' },
            lastAccessedAddress: {
              type: 'string',
              description: 'The IP address of the device when this Refresh Token was last used.',
            },
            lastAccessedInstant: {
              type: 'integer',
              description: 'The instant this Refresh Token was last used (epoch milliseconds).',
            },
            name: { type: 'string', description: 'The name of the device.' },
            type: { type: 'string', description: 'The type of the device.' },
          },
        },
        scopes: {
          type: 'array',
          items: { type: 'string' },
          description: 'The scopes associated with this Refresh Token.',
        },
      },
    },
    data: {
      type: 'object',
      additionalProperties: true,
      description: 'Data stored with the Refresh Token.',
    },
  },
} as const;
