import { credentials, makeGenericClientConstructor, type ServiceError } from '@grpc/grpc-js';
import { service as healthService } from 'grpc-health-check';

const HealthClient = makeGenericClientConstructor(healthService, 'grpc.health.v1.Health');

interface HealthCheckResponse {
  status?: string | number;
}

/** One grpc.health.v1 Check of the whole server: true when it answers SERVING. */
function checkOnce(
  client: InstanceType<typeof HealthClient>,
  deadlineMs: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const check = client.check as unknown as (
      request: { service: string },
      options: { deadline: number },
      callback: (error: ServiceError | null, response?: HealthCheckResponse) => void,
    ) => void;
    check.call(
      client,
      { service: '' },
      { deadline: Date.now() + deadlineMs },
      (error, response) => {
        resolve(error === null && (response?.status === 'SERVING' || response?.status === 1));
      },
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
  const client = new HealthClient(address, credentials.createInsecure());
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
