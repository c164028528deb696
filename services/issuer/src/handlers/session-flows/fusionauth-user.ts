import type { sessionV1 } from '@tessera/contracts';
import { parseObject } from './shared.js';

/** The FusionAuth user object of the reconcile response (instants in epoch ms). */
export function fusionAuthUser(user: sessionV1.User): Record<string, unknown> {
  const optional = (name: string, value: string) => (value === '' ? {} : { [name]: value });
  return {
    id: user.id,
    tenantId: user.tenantId,
    active: user.active,
    verified: user.verified,
    ...optional('email', user.email),
    ...optional('username', user.username),
    ...optional('firstName', user.firstName),
    ...optional('lastName', user.lastName),
    ...optional('fullName', user.fullName),
    data: parseObject(user.dataJson),
    insertInstant: Number(user.insertInstant),
    lastLoginInstant: Number(user.lastLoginInstant),
    lastUpdateInstant: Number(user.lastUpdateInstant),
    registrations: user.registrations.map((registration) => ({
      id: registration.id,
      applicationId: registration.applicationId,
      roles: registration.roles,
      ...optional('username', registration.username),
      data: parseObject(registration.dataJson),
      insertInstant: Number(registration.insertInstant),
      lastLoginInstant: Number(registration.lastLoginInstant),
    })),
  };
}
