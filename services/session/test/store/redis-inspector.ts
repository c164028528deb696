import { Cluster, Redis } from 'ioredis';

/**
 * A view of what a Redis (standalone or Cluster) really holds, through a client of its own:
 * what the store's tests look at to prove TTLs, slots and that no token is stored.
 */
export interface RedisInspector {
  /** Every key, from every master. */
  keys(): Promise<string[]>;
  pttl(key: string): Promise<number>;
  /** Sets a key's TTL, to prove the store lifts it again. */
  pexpire(key: string, ms: number): Promise<number>;
  /** DUMP of the key (serialized value), or null. */
  dump(key: string): Promise<Buffer | null>;
  /** Every field, member and value the key holds, as text. */
  contents(key: string): Promise<string[]>;
  /** CLUSTER KEYSLOT, on a Cluster only. */
  keyslot?(key: string): Promise<number>;
  /** The masters' clients (one for standalone). */
  masters(): Redis[];
  close(): Promise<void>;
}

async function scanAll(node: Redis): Promise<string[]> {
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, batch] = await node.scan(cursor, 'COUNT', 1000);
    cursor = next;
    keys.push(...batch);
  } while (cursor !== '0');
  return keys;
}

function inspect(client: Redis | Cluster, masters: () => Redis[]): RedisInspector {
  return {
    async keys() {
      const all = await Promise.all(masters().map(scanAll));
      return [...new Set(all.flat())];
    },
    pttl: (key) => client.pttl(key),
    pexpire: (key, ms) => client.pexpire(key, ms),
    dump: (key) => client.dumpBuffer(key),
    async contents(key) {
      switch (await client.type(key)) {
        case 'hash':
          return Object.entries(await client.hgetall(key)).flat();
        case 'set':
          return client.smembers(key);
        case 'zset':
          return client.zrange(key, 0, -1);
        case 'string':
          return [(await client.get(key)) ?? ''];
        case 'list':
          return client.lrange(key, 0, -1);
        default:
          return [];
      }
    },
    ...(client instanceof Cluster
      ? {
          keyslot: async (key: string) => {
            const slot: unknown = await client.cluster('KEYSLOT', key);
            return Number(slot);
          },
        }
      : {}),
    masters,
    async close() {
      await client.quit();
    },
  };
}

/** An inspector of a standalone Redis. */
export async function inspectStandalone(url: string): Promise<RedisInspector> {
  const client = new Redis(url, { lazyConnect: true });
  await client.connect();
  return inspect(client, () => [client]);
}

/** An inspector of a Redis Cluster. */
export async function inspectCluster(
  nodes: readonly { host: string; port: number }[],
): Promise<RedisInspector> {
  const client = new Cluster(nodes.map((node) => ({ ...node })));
  await new Promise<void>((resolve, reject) => {
    client.once('ready', () => resolve());
    client.once('error', reject);
  });
  return inspect(client, () => client.nodes('master'));
}
