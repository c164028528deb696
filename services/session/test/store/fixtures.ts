import { randomUUID } from 'node:crypto';
import type {
  CreateInput,
  Presenter,
  RefreshPolicy,
  RotateOutcome,
} from '../../src/store/session-store.js';

/** A OneTimeUse SlidingWindow policy of one hour, no grace, revoking on reuse; override freely. */
export function policy(overrides: Partial<RefreshPolicy> = {}): RefreshPolicy {
  return {
    expiration: 'SlidingWindow',
    usage: 'OneTimeUse',
    timeToLiveMinutes: 60,
    maximumTimeToLiveMinutes: 0,
    gracePeriodSeconds: 0,
    revokeFamilyOnReuse: true,
    ...overrides,
  };
}

/** A presenter with a recognisable address. */
export function presenter(n: number): Presenter {
  return { ipAddress: `192.0.2.${n}`, userAgent: `agent-${n}` };
}

/** A principal of fresh ids, so tests sharing one store never see each other's families. */
export interface Principal {
  readonly tenantId: string;
  readonly userId: string;
  readonly applicationId: string;
}

/** Fresh tenant, user and application ids. */
export function principal(): Principal {
  return { tenantId: randomUUID(), userId: randomUUID(), applicationId: randomUUID() };
}

/** A create input for `who` under `refreshPolicy`. */
export function createInput(
  who: Principal,
  refreshPolicy: RefreshPolicy = policy(),
  overrides: Partial<CreateInput> = {},
): CreateInput {
  return {
    ...who,
    policy: refreshPolicy,
    device: {
      description: 'test device',
      lastAccessedAddress: '',
      lastAccessedInstant: 0,
      name: 'laptop',
      type: 'BROWSER',
    },
    scopes: ['offline_access'],
    data: { note: 'kept as given' },
    sessionClaims: {
      authTime: 1_893_456_000,
      authenticationType: 'PASSWORD',
      roles: ['admin'],
      email: 'user@example.com',
      emailVerified: true,
      preferredUsername: 'user',
    },
    presenter: presenter(1),
    ...overrides,
  };
}

/** The token of a successful outcome; fails the test with the outcome otherwise. */
export function tokenOf(outcome: RotateOutcome): string {
  if (!outcome.ok)
    throw new Error(`expected a successful rotation, got ${JSON.stringify(outcome)}`);
  return outcome.token;
}

/** The failure cause of an outcome, or 'ok'. */
export function causeOf(outcome: RotateOutcome): string {
  return outcome.ok ? 'ok' : outcome.cause;
}
