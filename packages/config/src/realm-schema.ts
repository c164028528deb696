import { z } from 'zod';

/**
 * The realm file: the single source of truth for tenants, applications, API keys, identity
 * providers and where the signing keys live. Field names follow FusionAuth where FusionAuth
 * has the concept, so an operator can map their existing configuration one to one.
 */

const id = z.guid('must be a UUID');
const seconds = z.int().nonnegative();

/** FusionAuth refresh-token settings (tenant jwtConfiguration; overridable per application). */
export const refreshTokenSettingsSchema = z.strictObject({
  timeToLiveInMinutes: z.int().positive().default(43_200),
  expirationPolicy: z
    .enum(['Fixed', 'SlidingWindow', 'SlidingWindowWithMaximumLifetime'])
    .default('Fixed'),
  /** Only for SlidingWindowWithMaximumLifetime. */
  maximumTimeToLiveInMinutes: z.int().positive().default(86_400),
  usagePolicy: z.enum(['Reusable', 'OneTimeUse']).default('Reusable'),
  /** OneTimeUse: a reuse of the immediate parent within this window returns the same successor. */
  oneTimeUseGracePeriodInSeconds: z.int().min(0).max(86_400).default(0),
  /** OneTimeUse: a reuse outside the grace period revokes the whole family. */
  revokeFamilyOnReuse: z.boolean().default(true),
});

const refreshTokenOverrideSchema = refreshTokenSettingsSchema.partial();

const tenantSchema = z.strictObject({
  id,
  name: z.string().min(1).default('Default'),
  /** The `iss` of every token of this tenant, checked on validation. */
  issuer: z.string().min(1),
  /**
   * Keys of the key file this tenant signs with (its one `current` key) and accepts (its
   * `next` and `retired` keys too); default: all of them. A token is valid for a tenant only
   * when signed by one of these keys, so tenants that share an issuer must list disjoint ones.
   */
  keyIds: z.array(z.string().min(1)).optional(),
  jwt: z
    .strictObject({
      accessTokenTimeToLiveSeconds: z.int().positive().default(3600),
      /** The longest lifetime a caller may ask for (vend TTL, Neostore validity). */
      maximumTimeToLiveSeconds: z.int().positive().default(315_360_000),
      clockToleranceSeconds: seconds.max(300).default(30),
      /** When non-empty, a validated token's `aud` must contain one of these. */
      audiences: z.array(z.string().min(1)).default([]),
    })
    .prefault({}),
  refreshToken: refreshTokenSettingsSchema.prefault({}),
  /**
   * How many live sessions IssueForApplication may fork from one session (each fork is a
   * refresh token of another application, revoked with its source). 0 forbids forks.
   */
  maximumSessionForks: z.int().min(0).max(1000).default(10),
  /** Neostore tokens/generate settings. */
  neostore: z
    .strictObject({
      /** Validity when the caller names none; Neostore documents 10 years (3650 days). */
      defaultValiditySeconds: z.int().positive().default(315_360_000),
      /**
       * When set, a bearer token presented to tokens/generate must carry this in its `aud`:
       * only tokens minted for calling Generate are accepted, not any token with the scope.
       */
      bearerAudience: z.string().min(1).optional(),
    })
    .prefault({}),
  /** How the tenant's revocations reach already-issued access tokens. */
  revocation: z
    .strictObject({
      /**
       * The most live revocations the tenant may hold at once; a revoke that would publish
       * one more is refused (RESOURCE_EXHAUSTED) until entries expire. Bounds what every
       * validator keeps in memory and what a new validator must load before it serves.
       */
      maxLiveEntries: z.int().positive().max(10_000_000).default(100_000),
      /**
       * The most live revocations one user's revokes may hold in the tenant (their sessions'
       * entries and revocations of the user). Past it, a revoke publishes one revocation of
       * every token of the user instead, which replaces the user's previous such revocation:
       * one user holds at most this many plus one, so no user alone can fill `maxLiveEntries`.
       */
      maxLiveEntriesPerUser: z.int().positive().max(10_000).default(100),
      /**
       * Clock skew allowed between the session service and the issuers: a revocation by user
       * or application also covers tokens whose `iat` is up to this much after the revoke
       * (an issuer whose clock runs ahead stamps tokens minted just before it that late).
       */
      clockSkewSeconds: seconds.max(300).default(5),
    })
    .prefault({}),
});

const applicationSchema = z.strictObject({
  id,
  tenantId: id,
  name: z.string().min(1),
  roles: z.array(z.string().min(1)).default([]),
  /** FusionAuth loginConfiguration.generateRefreshTokens. */
  refreshTokensEnabled: z.boolean().default(true),
  jwt: z
    .strictObject({
      accessTokenTimeToLiveSeconds: z.int().positive().optional(),
      /** Sign this application's tokens with this key instead of the tenant's current key. */
      signingKeyId: z.string().min(1).optional(),
    })
    .prefault({}),
  refreshToken: refreshTokenOverrideSchema.optional(),
  /** webMethods getJsonWebToken: the audience after the application id, and the lifetime. */
  webMethods: z
    .strictObject({
      audience: z.string().min(1).optional(),
      expiryInMinutes: z.int().positive().default(60),
    })
    .prefault({}),
});

const httpMethod = z.enum(['GET', 'POST', 'PUT', 'PATCH', 'DELETE', 'HEAD', 'OPTIONS']);

const apiKeySchema = z
  .strictObject({
    id: z.string().min(1),
    description: z.string().optional(),
    /** Plaintext key: accepted only when `mode: development`. */
    key: z.string().min(16, 'must be at least 16 characters').optional(),
    /** Hex SHA-256 of the key (`npx tessera apikey hash`). */
    keyHash: z
      .string()
      .regex(/^[0-9a-f]{64}$/, 'must be 64 lower-case hex characters (SHA-256)')
      .optional(),
    /** Lock the key to one tenant. */
    tenantId: id.optional(),
    /**
     * FusionAuth-style endpoint permissions: endpoint → allowed methods. An endpoint is an
     * HTTP path (`/api/jwt/vend`) or a gRPC method (`tessera.issuer.v1.IssuerService/Vend`,
     * methods `[CALL]`). Empty: every endpoint.
     */
    permissions: z
      .record(z.string().min(1), z.array(z.union([httpMethod, z.literal('CALL')])))
      .default({}),
    /** Scopes, e.g. `AuthenticationToken.Write` for Neostore tokens/generate. */
    scopes: z.array(z.string().min(1)).default([]),
    /** webMethods: the key identifies this application, whose id becomes `sub`. */
    applicationId: id.optional(),
  })
  .refine((key) => (key.key === undefined) !== (key.keyHash === undefined), {
    message: 'set exactly one of `key` (development only) or `keyHash`',
    path: ['keyHash'],
  });

const identityProviderSchema = z.strictObject({
  id,
  name: z.string().min(1),
  /** Tenants that may use it; default: all. */
  tenantIds: z.array(id).optional(),
  /** The claim that identifies the user uniquely (FusionAuth uniqueIdentityClaim). */
  uniqueIdentityClaim: z.string().min(1).default('email'),
  /** Claim name → user field (email, username, firstName, lastName, fullName). */
  claimMap: z
    .record(
      z.string(),
      z.enum(['email', 'username', 'firstName', 'lastName', 'fullName', 'registration.roles']),
    )
    .default({}),
  /**
   * Email domains this provider manages. When set, the email's domain must be one of them,
   * and a verified email (`email_verified: true`) may then link the provider's identity to
   * the tenant's existing user with that email. Without managed domains, the provider only
   * ever signs in the users it created itself.
   */
  managedDomains: z.array(z.string().min(1)).default([]),
  /** When set, the external JWT's `iss` must be exactly this (`realm check` warns when unset). */
  issuer: z.string().min(1).optional(),
  /** When set, the external JWT's `aud` must contain this (`realm check` warns when unset). */
  audience: z.string().min(1).optional(),
  /** Trusted keys: inline JWKS, a JWKS file (relative to the realm file), or PEM by kid. */
  keys: z
    .strictObject({
      jwks: z.strictObject({ keys: z.array(z.record(z.string(), z.unknown())) }).optional(),
      jwksFile: z.string().min(1).optional(),
      pem: z.record(z.string(), z.string().min(1)).optional(),
    })
    .refine((k) => k.jwks !== undefined || k.jwksFile !== undefined || k.pem !== undefined, {
      message: 'give at least one of jwks, jwksFile or pem',
    }),
  /** Applications a reconciled user may be registered to; default: all of the tenant. */
  applicationIds: z.array(id).optional(),
});

/**
 * Two tenants may share an issuer only when no key is valid for both: with the same `iss`
 * and a common key, nothing in a token but `tid` would tell the tenants apart, and a token
 * without `tid` (or a key used for both) would be accepted by each. A tenant without `keyIds`
 * accepts every key, so it cannot share its issuer at all.
 */
function refuseSharedIssuerWithSharedKeys(
  tenants: readonly z.output<typeof tenantSchema>[],
  ctx: z.RefinementCtx,
): void {
  tenants.forEach((tenant, j) => {
    for (let i = 0; i < j; i += 1) {
      const other = tenants[i];
      if (other === undefined || other.issuer !== tenant.issuer) continue;
      const shared =
        tenant.keyIds === undefined || other.keyIds === undefined
          ? 'every key (a tenant without keyIds accepts them all)'
          : tenant.keyIds.filter((kid) => other.keyIds?.includes(kid)).join(', ');
      if (shared === '') continue;
      ctx.addIssue({
        code: 'custom',
        path: [j, 'issuer'],
        message: `tenants[${i}] has the same issuer; tenants sharing an issuer must list disjoint keyIds (shared: ${shared})`,
      });
    }
  });
}

/** Bounds on every input, so a bad request is refused before it costs anything. */
export const limitsSchema = z
  .strictObject({
    maxTokenLength: z.int().min(256).max(1_048_576).default(8192),
    maxClaims: z.int().positive().max(10_000).default(200),
    maxClaimsDepth: z.int().positive().max(64).default(10),
    /** UTF-8 bytes of one claim set: a claims JSON, or a Neostore claim set's types and values. */
    maxClaimsBytes: z.int().positive().max(1_048_576).default(65_536),
    /** UTF-8 bytes of one Neostore claim value, checked before the value is converted. */
    maxClaimValueBytes: z.int().positive().max(1_048_576).default(16_384),
    /** Neostore: claim sets per request. */
    maxBatchSize: z.int().positive().max(10_000).default(100),
  })
  .prefault({});

/** The realm file as written (after defaults). */
export const realmSchema = z.strictObject({
  /** `development` allows plaintext API keys; everything else refuses them. */
  mode: z.enum(['development', 'production']).default('production'),
  keys: z.strictObject({
    /** JWKS file with private keys (a Kubernetes Secret), relative to the realm file. */
    file: z.string().min(1),
  }),
  tenants: z
    .array(tenantSchema)
    .min(1, 'at least one tenant is required')
    .superRefine(refuseSharedIssuerWithSharedKeys),
  applications: z.array(applicationSchema).default([]),
  apiKeys: z.array(apiKeySchema).default([]),
  identityProviders: z.array(identityProviderSchema).default([]),
  limits: limitsSchema,
  webMethods: z
    .strictObject({
      /** The header that carries the application's API key. */
      apiKeyHeader: z.string().min(1).default('x-Gateway-APIKey'),
    })
    .prefault({}),
});

/** The realm file as written, with defaults applied. */
export type RealmDocument = z.output<typeof realmSchema>;
/** A tenant of the realm. */
export type TenantConfig = RealmDocument['tenants'][number];
/** An application of the realm. */
export type ApplicationConfig = RealmDocument['applications'][number];
/** An API key of the realm, as written. */
export type ApiKeyConfig = RealmDocument['apiKeys'][number];
/** An external-JWT identity provider. */
export type IdentityProviderConfig = RealmDocument['identityProviders'][number];
/** FusionAuth refresh-token settings. */
export type RefreshTokenSettings = z.output<typeof refreshTokenSettingsSchema>;
/** Input limits. */
export type Limits = RealmDocument['limits'];
