import { credentials, Metadata } from '@grpc/grpc-js';
import { grpcHealthV1 } from '@tessera/contracts';

/** One grpc.health.v1 Check of the whole server: true when it answers SERVING. */
function checkOnce(client: grpcHealthV1.HealthClient, deadlineMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    client.check(
      { service: '' },
      new Metadata(),
      { deadline: Date.now() + deadlineMs },
      (error, response) =>
        resolve(
          error === null &&
            response?.status === grpcHealthV1.HealthCheckResponse_ServingStatus.SERVING,
        ),
    );
  });
}

/**
 * Resolves once the gRPC server at `address` reports SERVING through grpc.health.v1, or
 * rejects when `exited()` turns true (the process died) or after `timeoutMs`.
 */
export async function waitUntilServing(
  address: string,
  options: { name: string; timeoutMs: number; exited: () => boolean },
): Promise<void> {
  const client = new grpcHealthV1.HealthClient(address, credentials.createInsecure());
  const started = Date.now();
  try {
    for (;;) {
      if (options.exited())
        throw new Error(`the ${options.name} exited during start-up (see its log above)`);
      if (await checkOnce(client, 500)) return;
      if (Date.now() - started > options.timeoutMs) {
        throw new Error(
          `the ${options.name} did not report SERVING on ${address} within ${options.timeoutMs} ms`,
        );
      }
      // A bounded poll: the health protocol has Watch, but a server that is not listening yet
      // cannot be watched.
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  } finally {
    client.close();
  }
}

/** Resolves once `url` answers 200, or rejects when the process died or after `timeoutMs`. */
export async function waitUntilHttpReady(
  url: string,
  options: { name: string; timeoutMs: number; exited: () => boolean },
): Promise<void> {
  const started = Date.now();
  for (;;) {
    if (options.exited())
      throw new Error(`the ${options.name} exited during start-up (see its log above)`);
    const ok = await fetch(url, { signal: AbortSignal.timeout(500) })
      .then((response) => response.status === 200)
      .catch(() => false);
    if (ok) return;
    if (Date.now() - started > options.timeoutMs) {
      throw new Error(`the ${options.name} was not ready at ${url} within ${options.timeoutMs} ms`);
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
