import type { Clock } from '@tessera/clock';
import type { ApplicationConfig, TenantConfig } from '@tessera/config';
import type { sessionV1 } from '@tessera/contracts';
import { TesseraError } from '@tessera/errors';
import type { TokenUser } from '../../domain/access-token.js';
import type { IssuerSnapshot } from '../../issuer-state.js';

/** The application, which must belong to the tenant; otherwise APPLICATION_NOT_FOUND on `field`. */
export function applicationOf(
  snapshot: IssuerSnapshot,
  tenant: TenantConfig,
  applicationId: string,
  field: string,
): ApplicationConfig {
  const application = snapshot.realm.applications.get(applicationId);
  if (application === undefined || application.tenantId !== tenant.id) {
    throw new TesseraError(
      'APPLICATION_NOT_FOUND',
      `no application ${applicationId} in the tenant`,
      { field },
    );
  }
  return application;
}

/** The user as an access token names them; a user the directory does not hold has only an id. */
export function tokenUserOf(user: sessionV1.User | undefined, userId: string): TokenUser {
  return {
    id: userId,
    email: user?.email ?? '',
    verified: user?.verified ?? false,
    username: user?.username ?? '',
  };
}

/** The user's registration for the application, if any. */
export function registrationOf(
  user: sessionV1.User | undefined,
  applicationId: string,
): sessionV1.Registration | undefined {
  return user?.registrations.find((registration) => registration.applicationId === applicationId);
}

/** A JSON object from text the services wrote themselves; anything else reads as `{}`. */
export function parseObject(text: string): Record<string, unknown> {
  try {
    const value: unknown = JSON.parse(text || '{}');
    return value !== null && typeof value === 'object' && !Array.isArray(value)
      ? (value as Record<string, unknown>)
      : {};
  } catch {
    return {};
  }
}

/** The clock's instant in JWT seconds. */
export const nowSeconds = (clock: Clock): number => Math.floor(clock.now() / 1000);

/** A deactivated user gets no new token, whatever they present. */
export function requireActive(user: sessionV1.User | undefined, field: string): void {
  if (user !== undefined && !user.active) {
    throw new TesseraError('UNAUTHENTICATED', 'the user is deactivated', {
      field,
      metadata: { cause: 'user-deactivated' },
    });
  }
}

/** Why a refresh no longer reflects a user who may have tokens: the session must end. */
export function endedSessionCause(
  user: sessionV1.User | undefined,
  applicationId: string,
): string | undefined {
  if (user === undefined) return undefined;
  if (!user.active) return 'user-deactivated';
  return registrationOf(user, applicationId) === undefined ? 'registration-removed' : undefined;
}
