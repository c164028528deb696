import { createServer } from 'node:net';

/** Whether 127.0.0.1:`port` can be bound right now. */
function isFree(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const server = createServer();
    server.once('error', () => resolve(false));
    server.listen({ host: '127.0.0.1', port, exclusive: true }, () =>
      server.close(() => resolve(true)),
    );
  });
}

/**
 * A port that was free a moment ago (callers retry when a race takes it). With
 * `clusterBus`, port + 10000 is free too, as Redis Cluster's bus port needs.
 */
export async function findFreePort(options: { clusterBus?: boolean } = {}): Promise<number> {
  for (let attempt = 0; attempt < 200; attempt++) {
    // Below the ephemeral range, so outgoing connections do not take it meanwhile; never 6379.
    const port = 20_000 + Math.floor(Math.random() * 12_000);
    if (port === 6379) continue;
    if (!(await isFree(port))) continue;
    if (options.clusterBus && !(await isFree(port + 10_000))) continue;
    return port;
  }
  throw new Error('no free port found');
}
