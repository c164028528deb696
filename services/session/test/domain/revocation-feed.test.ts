import { systemClock } from '@tessera/clock';
import { createLogger } from '@tessera/logger';
import { describe, expect, it } from 'vitest';
import { type FeedMessage, RevocationFeed } from '../../src/domain/revocation-feed.js';
import { MemoryRevocationLog } from '../../src/store/memory/memory-revocation-log.js';
import type { RevocationLog } from '../../src/store/revocation-log.js';

const HEARTBEAT_MS = 100;
/** How long a subscriber's own read of the log takes: a round trip to a busy Redis. */
const READ_MS = 20;

/**
 * A memory log whose reads take {@link READ_MS}, as Redis round trips do; the tail's blocking
 * wait is the memory log's own. After every wake a subscriber reads the log before it waits
 * again, so its idle timer starts that much after the tail's blocking read.
 */
function logWithSlowReads(inner: MemoryRevocationLog): RevocationLog {
  return new Proxy(inner, {
    get(target, property) {
      if (property === 'readAfter') {
        return async (...args: Parameters<RevocationLog['readAfter']>) => {
          await new Promise((resolve) => setTimeout(resolve, READ_MS));
          return target.readAfter(...args);
        };
      }
      const value: unknown = Reflect.get(target, property, target);
      return typeof value === 'function' ? value.bind(target) : value;
    },
  });
}

/** Collects what one subscriber receives until `count` heartbeats arrived or the bound passed. */
async function heartbeatsOfIdleSubscriber(count: number, boundMs: number): Promise<number> {
  const log = logWithSlowReads(new MemoryRevocationLog({ clock: systemClock }));
  // The tail's blocking read ends as often as a heartbeat is due: the service's defaults
  // (both 5 s) have the same shape.
  const feed = new RevocationFeed({
    log,
    logger: createLogger({ service: 'test', level: 'silent' }),
    blockMs: HEARTBEAT_MS,
  });
  await feed.start();
  const stop = new AbortController();
  const bound = setTimeout(() => stop.abort(), boundMs);
  const kinds: FeedMessage['kind'][] = [];
  try {
    for await (const message of feed.subscribe(0n, '', HEARTBEAT_MS, stop.signal)) {
      kinds.push(message.kind);
      if (kinds.filter((kind) => kind === 'heartbeat').length >= count) break;
    }
  } finally {
    clearTimeout(bound);
    await feed.stop();
  }
  expect(kinds[0]).toBe('snapshot');
  return kinds.filter((kind) => kind === 'heartbeat').length;
}

describe('revocation feed heartbeats (fan-out bench: idle subscribers went a whole window without one)', () => {
  it('an idle subscriber gets its heartbeats although the tail read ends as often, empty', async () => {
    // Three heartbeats are due in 300 ms; the bound is generous for a loaded machine. A
    // subscriber woken by every empty tail read never stays idle a whole interval, gets no
    // heartbeat, and a validator following it judges its revocations stale.
    expect(await heartbeatsOfIdleSubscriber(3, 50 * HEARTBEAT_MS)).toBe(3);
  });
});
