import { randomBytes } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import { ManualClock } from '@tessera/clock';
import { isTesseraError } from '@tessera/errors';
import { findFreePort, type RedisServer, startRedisServer } from '@tessera/testing';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import {
  createRedisRefreshTokenStore,
  type RedisRefreshTokenStore,
} from '../../src/store/index.js';
import { createInput, policy, presenter, principal, tokenOf } from './fixtures.js';

/**
 * Invariant 5 against a real standalone Redis that is killed by PID, paused and flushed:
 * fail closed and fast (UNAVAILABLE within the call deadline, never a wrong success, no
 * unbounded queue) and recover without recreating the store. The server keeps an
 * append-only file fsynced on every write, so a restart brings every acknowledged
 * rotation back and the chains' consistency can be checked across the outage.
 */

const COMMAND_TIMEOUT_MS = 400;
/** The store's own deadline is the command timeout plus up to 250 ms; plus scheduling slack. */
const SETTLE_BOUND_MS = COMMAND_TIMEOUT_MS * 2 + 400;

let server: RedisServer;
beforeAll(async () => {
  server = await startRedisServer({ appendOnly: true });
});
afterAll(async () => {
  await server?.stop();
});

const openStore = (clock = new ManualClock()) =>
  createRedisRefreshTokenStore({
    redis: server.url,
    pepper: randomBytes(32),
    clock,
    commandTimeoutMs: COMMAND_TIMEOUT_MS,
    connectTimeoutMs: 500,
  });

const delay = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Runs `operation`, returning how it settled and how long it took. */
async function timed<T>(operation: () => Promise<T>) {
  const started = performance.now();
  try {
    const value = await operation();
    return { ms: performance.now() - started, value, error: undefined };
  } catch (error) {
    return { ms: performance.now() - started, value: undefined, error };
  }
}

/** Every store operation once; each must fail UNAVAILABLE within the bound. */
async function expectAllUnavailable(store: RedisRefreshTokenStore, token: string, id: string) {
  const who = principal();
  const operations: [string, () => Promise<unknown>][] = [
    ['create', () => store.create(createInput(who))],
    ['rotate', () => store.rotate({ token, presenter: presenter(2), requestId: 'down' })],
    ['get', () => store.get(id)],
    ['lookup', () => store.lookup(token)],
    ['listByUser', () => store.listByUser(who.tenantId, who.userId)],
    ['revoke', () => store.revoke(who.tenantId, { kind: 'user', userId: who.userId })],
  ];
  for (const [name, operation] of operations) {
    const result = await timed(operation);
    expect(isTesseraError(result.error, 'UNAVAILABLE'), name).toBe(true);
    expect(result.ms, name).toBeLessThan(SETTLE_BOUND_MS);
  }
}

describe('invariant 5: Redis down ⇒ fail closed and fast, recover by itself', () => {
  it('Redis killed by PID under concurrent rotation chains: every call settles in time with success or UNAVAILABLE, no wrong success, chains resume after restart', async () => {
    const store = await openStore();
    try {
      const CHAINS = 6;
      const families = await Promise.all(
        Array.from({ length: CHAINS }, () =>
          store.create(createInput(principal(), policy({ gracePeriodSeconds: 0 }))),
        ),
      );
      let phase: 'up' | 'down' | 'restarted' = 'up';
      let stop = false;
      const slowest = { ms: 0 };
      const wrong: string[] = [];
      const stats = families.map(() => ({ ok: 0, unavailable: 0, okAfterRestart: 0 }));

      const chain = async (token: string, c: number) => {
        let step = 0;
        const stat = stats[c]!;
        while (!stop) {
          // A failed call is retried with the same token and request id: idempotency makes
          // that safe whether or not Redis applied the first attempt before it died.
          const requestId = `chain-${c}-step-${step}`;
          const result = await timed(() =>
            store.rotate({ token, presenter: presenter(c + 2), requestId }),
          );
          slowest.ms = Math.max(slowest.ms, result.ms);
          if (result.value?.ok) {
            token = result.value.token;
            step++;
            stat.ok++;
            if (phase === 'restarted') stat.okAfterRestart++;
          } else if (result.value) {
            wrong.push(`chain ${c} step ${step} (${phase}): ${result.value.cause}`);
            return token;
          } else if (isTesseraError(result.error, 'UNAVAILABLE')) {
            stat.unavailable++;
            await delay(10);
          } else {
            wrong.push(`chain ${c} step ${step} (${phase}): ${String(result.error)}`);
            return token;
          }
        }
        return token;
      };
      const running = families.map((family, c) => chain(family.token, c));

      // Two outages, each in the middle of the chains' traffic.
      for (let outage = 1; outage <= 2; outage++) {
        await vi.waitFor(() => expect(stats.every((s) => s.ok >= 20 * outage)).toBe(true), {
          timeout: 10_000,
        });
        phase = 'down';
        await server.kill('SIGKILL');
        await vi.waitFor(() => expect(stats.every((s) => s.unavailable >= 3 * outage)).toBe(true), {
          timeout: 10_000,
        });
        for (const s of stats) s.okAfterRestart = 0;
        phase = 'restarted';
        await server.restart();
        await vi.waitFor(() => expect(stats.every((s) => s.okAfterRestart >= 3)).toBe(true), {
          timeout: 15_000,
        });
      }
      stop = true;
      const finalTokens = await Promise.all(running);

      expect(wrong).toEqual([]);
      expect(slowest.ms).toBeLessThan(SETTLE_BOUND_MS);
      // Every chain's last token is its family's current one, and rotates exactly once more.
      for (const [c, token] of finalTokens.entries()) {
        const next = await store.rotate({ token, presenter: presenter(c + 2), requestId: 'final' });
        expect(next).toMatchObject({ ok: true, rotated: true });
        expect((await store.get(families[c]!.record.id))?.id).toBe(families[c]!.record.id);
      }
    } finally {
      await store.close();
    }
  });

  it('while Redis is down every operation fails at once with UNAVAILABLE; the same store works again after restart', async () => {
    const store = await openStore();
    try {
      const { token, record } = await store.create(createInput(principal()));
      await server.kill('SIGKILL');
      await expectAllUnavailable(store, token, record.id);
      await server.restart();
      const healed = await vi.waitFor(
        async () => {
          const outcome = await store.rotate({
            token,
            presenter: presenter(2),
            requestId: 'after',
          });
          expect(outcome.ok).toBe(true);
          return outcome;
        },
        { timeout: 10_000, interval: 50 },
      );
      expect(
        await store.rotate({ token: tokenOf(healed), presenter: presenter(2), requestId: 'x' }),
      ).toMatchObject({
        ok: true,
        rotated: true,
      });
    } finally {
      await store.close();
    }
  });

  it('a stalled Redis (SIGSTOP) fails calls within the deadline; after SIGCONT a resend returns what was applied', async () => {
    const store = await openStore();
    try {
      const { token, record } = await store.create(createInput(principal()));
      await server.kill('SIGSTOP');
      try {
        await expectAllUnavailable(store, token, record.id);
      } finally {
        await server.kill('SIGCONT');
      }
      // The stalled rotation ('down') ran once Redis resumed; its resend gets the same successor.
      const resent = await vi.waitFor(
        async () => {
          const outcome = await store.rotate({ token, presenter: presenter(2), requestId: 'down' });
          expect(outcome.ok).toBe(true);
          return outcome;
        },
        { timeout: 10_000, interval: 50 },
      );
      expect(resent).toMatchObject({ ok: true, rotated: false });
      expect(
        await store.rotate({ token: tokenOf(resent), presenter: presenter(2), requestId: 'next' }),
      ).toMatchObject({ ok: true, rotated: true });
    } finally {
      await store.close();
    }
  });

  it('SCRIPT FLUSH: the next rotation still works (EVALSHA falls back to EVAL)', async () => {
    const store = await openStore();
    const admin = new Redis(server.url);
    try {
      const { token } = await store.create(createInput(principal()));
      expect(await admin.script('FLUSH')).toBe('OK');
      const outcome = await store.rotate({ token, presenter: presenter(2), requestId: 'r' });
      expect(outcome).toMatchObject({ ok: true, rotated: true });
    } finally {
      await store.close();
      admin.disconnect();
    }
  });

  it('creating a store for an unreachable Redis fails UNAVAILABLE within its ready timeout', async () => {
    const port = await findFreePort();
    const started = performance.now();
    const error = await createRedisRefreshTokenStore({
      redis: `redis://127.0.0.1:${port}`,
      pepper: randomBytes(32),
      clock: new ManualClock(),
      readyTimeoutMs: 500,
    }).catch((e: unknown) => e);
    expect(isTesseraError(error, 'UNAVAILABLE')).toBe(true);
    expect(performance.now() - started).toBeLessThan(2000);
  });
});
