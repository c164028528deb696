import { type Client, credentials, Metadata } from '@grpc/grpc-js';
import { grpcHealthV1 } from '@tessera/contracts';

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
        const health = new grpcHealthV1.HealthClient('unused', credentials.createInsecure(), {
          channelOverride: client.getChannel(),
        });
        health.check(
          { service: '' },
          new Metadata(),
          { deadline: Date.now() + deadlineMs },
          (error, response) =>
            resolve(
              error === null &&
                response?.status === grpcHealthV1.HealthCheckResponse_ServingStatus.SERVING,
            ),
        );
      }),
  );
  return (await Promise.all(checks)).every(Boolean);
}
