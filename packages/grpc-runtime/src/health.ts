import type { Server } from '@grpc/grpc-js';
import { HealthImplementation, type ServingStatus } from 'grpc-health-check';

/** The `grpc.health.v1.Health` service of one server: overall ('') plus one entry per service. */
export interface HealthReporter {
  /** Sets the overall status and that of every registered service. */
  setAll(status: ServingStatus): void;
}

/**
 * Registers grpc.health.v1 on `server`, NOT_SERVING until the server says otherwise, so a
 * probe never sees SERVING before the port is bound.
 */
export function addHealth(
  server: Pick<Server, 'addService'>,
  serviceNames: readonly string[],
): HealthReporter {
  const names = ['', ...serviceNames];
  const health = new HealthImplementation(
    Object.fromEntries(names.map((name) => [name, 'NOT_SERVING' as const])),
  );
  health.addToServer(server);
  return {
    setAll(status) {
      for (const name of names) health.setStatus(name, status);
    },
  };
}
