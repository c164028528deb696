import { apiKeyOf, type Caller, callerOf, resolveTenant } from '@tessera/access';
import type { Clock } from '@tessera/clock';
import type { TenantConfig } from '@tessera/config';
import { commonV1, type issuerV1 } from '@tessera/contracts';
import { invalidArgument, TesseraError } from '@tessera/errors';
import type { AsyncServiceHandlers } from '@tessera/grpc-runtime';
import type { TokenVerifier, ValidationReasonCode } from '@tessera/jwt-core';
import { buildApplicationTokenPayload } from '../domain/application-token.js';
import { parseClaimsJson } from '../domain/claims-json.js';
import { authorizeGenerateBearer } from '../domain/generate-bearer.js';
import { resolveLifetimeSeconds } from '../domain/lifetime.js';
import { buildClaimSetPayload, resolveValidity } from '../domain/neostore/index.js';
import { screenCallerClaims } from '../domain/reserved-claims.js';
import { selectSigningKey } from '../domain/signing-key.js';
import { buildVendPayload } from '../domain/vend.js';
import { verificationProfileOf } from '../domain/verification-profile.js';
import type { IssuerMetrics } from '../issuer-metrics.js';
import type { IssuerSnapshot, IssuerState } from '../issuer-state.js';
import { jwksOf, keySetEvents, publicKeysOf } from './key-publication.js';
import type { SessionFlowHandlers } from './session-flows/index.js';

/** What the issuer's handlers are built from; all injected by main.ts. */
export interface IssuerHandlerDeps {
  readonly state: IssuerState;
  readonly clock: Clock;
  /** The verifier for a snapshot's keys and limits. */
  readonly verifierFor: (snapshot: IssuerSnapshot) => TokenVerifier;
  readonly metrics: IssuerMetrics;
  /** The session-backed flows; absent when the issuer runs without a session service. */
  readonly sessionFlows?: SessionFlowHandlers;
}

type Handlers = AsyncServiceHandlers<typeof issuerV1.IssuerServiceService>;

/** `EXPIRED` → `VALIDATION_REASON_EXPIRED`, checked against the generated enum. */
export function toProtoReason(reason: ValidationReasonCode): commonV1.ValidationReason {
  const value = commonV1.ValidationReason[`VALIDATION_REASON_${reason}`];
  return value;
}

/**
 * `amr` of tokens no user authenticated for (generated and application tokens; vend adds
 * it too): such tokens can never be exchanged for a user's token (IssueForApplication).
 */
const NO_USER_AUTHENTICATED = ['none'];

/** The session-backed flows answer UNIMPLEMENTED until the issuer is connected to a session service. */
function needsSessionService(rpc: string): never {
  throw new TesseraError(
    'UNIMPLEMENTED',
    `${rpc} needs the session service, which this issuer is not connected to`,
  );
}

/**
 * The issuer's RPCs: proto ↔ domain, nothing more. Each call reads one snapshot of the realm
 * and keys, so a reload in the middle of a call cannot mix two configurations.
 */
export function createIssuerHandlers(deps: IssuerHandlerDeps): Handlers {
  const { state, clock, metrics } = deps;

  return {
    async vend(request, ctx) {
      const snapshot = state.current;
      const { realm, keyring } = snapshot;
      const tenant = resolveTenant(realm, { tenantId: request.tenantId, caller: callerOf(ctx) });
      const claims = parseClaimsJson(request.claimsJson, 'claims_json', realm.document.limits);
      // FusionAuth lets vend set `iss`, but never to another tenant's issuer: where tenants
      // share keys, that token would validate as the other tenant.
      if (
        typeof claims.iss === 'string' &&
        claims.iss !== tenant.issuer &&
        realm.document.tenants.some(
          (other) => other.id !== tenant.id && other.issuer === claims.iss,
        )
      ) {
        throw new TesseraError('INVALID_ARGUMENT', 'iss names another tenant', {
          field: 'claims_json',
        });
      }
      const lifetimeSeconds = resolveLifetimeSeconds(
        request.timeToLiveSeconds,
        {
          defaultSeconds: tenant.jwt.accessTokenTimeToLiveSeconds,
          maximumSeconds: tenant.jwt.maximumTimeToLiveSeconds,
        },
        'time_to_live_seconds',
      );
      const key = selectSigningKey(keyring, tenant, {
        requestedKid: request.keyId,
        field: 'key_id',
      });
      const payload = buildVendPayload(claims, {
        nowMs: clock.now(),
        lifetimeSeconds,
        issuer: tenant.issuer,
        tenantId: tenant.id,
      });
      const token = await keyring.sign(key.kid, payload);
      metrics.tokensIssued.inc({ rpc: 'Vend' });
      return { token };
    },

    async generate(request, ctx) {
      const snapshot = state.current;
      const { realm, keyring } = snapshot;
      const caller = callerOf(ctx);
      const tenant = resolveTenant(realm, { tenantId: request.tenantId, caller });
      if (caller.kind === 'bearer') {
        await authenticateBearer(deps.verifierFor(snapshot), snapshot, tenant, caller);
      }
      const limits = realm.document.limits;
      if (request.claimSets.length > limits.maxBatchSize) {
        throw new TesseraError(
          'LIMIT_EXCEEDED',
          `at most ${limits.maxBatchSize} claim sets per request`,
          {
            field: 'claim_sets',
            metadata: { maximum: String(limits.maxBatchSize) },
          },
        );
      }
      const validityMs = resolveValidity(request.validityDuration, {
        defaultMs: tenant.neostore.defaultValiditySeconds * 1000,
        maximumMs: tenant.jwt.maximumTimeToLiveSeconds * 1000,
      });
      // Build every payload before signing any, so a bad claim set fails the whole batch.
      const payloads = request.claimSets.map((set, i) => {
        try {
          return screenCallerClaims(
            buildClaimSetPayload(set.claims, limits),
            'generate',
            undefined,
          );
        } catch (error) {
          throw prefixField(error, `claim_sets[${i}]`);
        }
      });
      const key = selectSigningKey(keyring, tenant);
      const iat = Math.floor(clock.now() / 1000);
      const exp = Math.floor((clock.now() + validityMs) / 1000);
      const tokens = await Promise.all(
        payloads.map((claims) =>
          keyring.sign(key.kid, {
            ...claims,
            iss: tenant.issuer,
            iat,
            nbf: iat,
            exp,
            amr: NO_USER_AUTHENTICATED,
            // Whatever the claim set says: the token is this tenant's and no other's.
            tid: tenant.id,
          }),
        ),
      );
      metrics.tokensIssued.inc({ rpc: 'Generate' }, tokens.length);
      return { tokens };
    },

    async issueApplicationToken(request, ctx) {
      const { realm, keyring } = state.current;
      const applicationId = apiKeyOf(callerOf(ctx))?.applicationId;
      const application =
        applicationId === undefined ? undefined : realm.applications.get(applicationId);
      if (application === undefined) {
        throw new TesseraError('PERMISSION_DENIED', 'the API key does not identify an application');
      }
      const tenant = realm.tenants.get(application.tenantId);
      if (tenant === undefined)
        throw new TesseraError('INTERNAL', `application ${application.id} has no tenant`);
      const claims = parseClaimsJson(request.claimsJson, 'claims_json', realm.document.limits);
      const key = selectSigningKey(keyring, tenant, { application });
      const payload = buildApplicationTokenPayload(claims, application, {
        nowMs: clock.now(),
        issuer: tenant.issuer,
      });
      const token = await keyring.sign(key.kid, payload);
      metrics.tokensIssued.inc({ rpc: 'IssueApplicationToken' });
      return { token };
    },

    issueForApplication:
      deps.sessionFlows?.issueForApplication ??
      (async () => needsSessionService('IssueForApplication')),
    startSession:
      deps.sessionFlows?.startSession ?? (async () => needsSessionService('StartSession')),
    refresh: deps.sessionFlows?.refresh ?? (async () => needsSessionService('Refresh')),
    reconcile: deps.sessionFlows?.reconcile ?? (async () => needsSessionService('Reconcile')),

    async validate(request, ctx) {
      const snapshot = state.current;
      const tenant = resolveTenant(snapshot.realm, {
        tenantId: request.tenantId,
        caller: callerOf(ctx),
      });
      if (request.token === '') throw invalidArgument('token', 'token is required');
      const result = await deps
        .verifierFor(snapshot)
        .verify(request.token, verificationProfileOf(tenant, snapshot.keyring), {
          ...(request.audience ? { audience: request.audience } : {}),
        });
      metrics.validations.inc({ result: result.valid ? 'VALID' : result.reason });
      if (!result.valid) {
        ctx.log.debug({ reason: result.reason, kid: result.kid }, 'token did not validate');
        return {
          valid: false,
          reason: toProtoReason(result.reason),
          claimsJson: '',
          keyId: result.kid ?? '',
          tenantId: tenant.id,
        };
      }
      return {
        valid: true,
        reason: commonV1.ValidationReason.VALIDATION_REASON_UNSPECIFIED,
        claimsJson: JSON.stringify(result.claims),
        keyId: result.kid,
        tenantId: tenant.id,
      };
    },

    async getPublicKeys(request) {
      return { publicKeys: publicKeysOf(state.current, request.selector) };
    },

    async getJwks(request) {
      return { jwksJson: JSON.stringify(jwksOf(state.current, request.tenantId)) };
    },

    watchKeys: (_request, ctx) => keySetEvents(state, ctx.signal),
  };
}

async function authenticateBearer(
  verifier: TokenVerifier,
  snapshot: IssuerSnapshot,
  tenant: TenantConfig,
  caller: Caller & { kind: 'bearer' },
): Promise<void> {
  const result = await verifier.verify(
    caller.token,
    verificationProfileOf(tenant, snapshot.keyring),
  );
  if (!result.valid) {
    throw new TesseraError('UNAUTHENTICATED', 'the bearer token is not valid', {
      metadata: { reason: result.reason },
    });
  }
  authorizeGenerateBearer(result.claims, tenant);
}

/** Re-anchors a claim-set error's field under the request path (`claim_sets[2].[0].type`). */
function prefixField(error: unknown, prefix: string): unknown {
  if (!(error instanceof TesseraError)) return error;
  const field = error.field === undefined ? prefix : `${prefix}.claims${error.field}`;
  return new TesseraError(error.code, `${prefix}: ${error.message}`, {
    field,
    metadata: error.metadata,
    cause: error,
  });
}
