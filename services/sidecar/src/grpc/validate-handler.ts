import { findTenant, type SidecarIssuerDefinition } from '@tessera/access';
import type { Realm } from '@tessera/config';
import { commonV1 } from '@tessera/contracts';
import { invalidArgument } from '@tessera/errors';
import type { AsyncServiceHandlers } from '@tessera/grpc-runtime';
import type { LocalValidator } from '@tessera/local-validation';
import type { Decider } from '../decision/decide.js';
import type { SidecarMetrics } from '../sidecar-metrics.js';

/** Options of {@link createValidateHandlers}. */
export interface ValidateHandlerOptions {
  readonly realm: () => Realm;
  readonly validator: LocalValidator;
  readonly decider: Decider;
  readonly metrics: SidecarMetrics;
}

/**
 * The issuer's `Validate`, answered locally by the same contract, so an application's issuer
 * stubs work against the sidecar on localhost. The tenant is the one asked for (it must exist),
 * or else the one whose keys signed the token. UNAVAILABLE while keys and revocations are not loaded, or
 * revocations are stale in fail-closed mode.
 */
export function createValidateHandlers(
  options: ValidateHandlerOptions,
): AsyncServiceHandlers<SidecarIssuerDefinition> {
  return {
    async validate(request) {
      if (request.token === '') throw invalidArgument('token', 'token is required');
      // A tenant the realm does not know is TENANT_NOT_FOUND, as the issuer answers it.
      if (request.tenantId !== '') {
        findTenant(options.realm(), { tenantId: request.tenantId, caller: { kind: 'anonymous' } });
      }
      options.decider.assertAnswering();
      const result = await options.validator.validate(request.token, {
        ...(request.tenantId ? { tenantId: request.tenantId } : {}),
        ...(request.audience ? { audience: request.audience } : {}),
      });
      options.metrics.decided('validate', result.valid ? 'VALID' : `INVALID_${result.reason}`);
      if (!result.valid) {
        return {
          valid: false,
          reason: commonV1.ValidationReason[`VALIDATION_REASON_${result.reason}`],
          claimsJson: '',
          keyId: result.kid ?? '',
          tenantId: request.tenantId,
        };
      }
      return {
        valid: true,
        reason: commonV1.ValidationReason.VALIDATION_REASON_UNSPECIFIED,
        claimsJson: JSON.stringify(result.claims),
        keyId: result.kid,
        tenantId: result.tenantId ?? request.tenantId,
      };
    },
  };
}
