import {
  type Client,
  credentials,
  makeGenericClientConstructor,
  type ServiceError,
} from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

const HealthClient = makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');

/**
 * Whether every backend answers grpc.health.v1 SERVING, over the backends' own channels (a
 * health client built on each client's channel, so no extra connections are opened).
 */
export async function backendsServing(
  clients: readonly Client[],
  deadlineMs: number,
): Promise<boolean> {
  const checks = clients.map(
    (client) =>
      new Promise<boolean>((resolve) => {
        const health = new HealthClient('unused', credentials.createInsecure(), {
          channelOverride: client.getChannel(),
        });
        const check = health.check as unknown as (
          request: { service: string },
          options: { deadline: number },
          callback: (error: ServiceError | null, response?: { status?: string | number }) => void,
        ) => void;
        check.call(
          health,
          { service: '' },
          { deadline: Date.now() + deadlineMs },
          (error, response) =>
            resolve(error === null && (response?.status === 'SERVING' || response?.status === 1)),
        );
      }),
  );
  return (await Promise.all(checks)).every(Boolean);
}
