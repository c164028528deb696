import { once } from 'node:events';
import { status as Status } from '@grpc/grpc-js';
import { ManualClock } from '@tessera/clock';
import { afterEach, describe, expect, it } from 'vitest';
import { readErrorDetails, unaryCall } from '../src/index.js';
import { deferred } from './support/deferred.js';
import { type IssuerHarness, rejection, startIssuer } from './support/issuer-harness.js';

const VEND = { tenantId: 't1', claimsJson: '{}', keyId: '', timeToLiveSeconds: 0 };

describe('deadlines and cancellation', () => {
  let harness: IssuerHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('rejects a call whose deadline has already passed without running the handler', async () => {
    // The server's clock reads a day later than the caller's: every deadline is in its past.
    const clock = new ManualClock(Date.now() + 86_400_000);
    let ran = false;
    harness = await startIssuer(
      {
        vend: async () => {
          ran = true;
          return { token: 'late' };
        },
      },
      { clock },
    );
    const { client } = harness;
    const error = await rejection(
      unaryCall(client.vend.bind(client), VEND, { deadlineMs: 60_000 }),
    );

    expect(error.code).toBe(Status.DEADLINE_EXCEEDED);
    expect(readErrorDetails(error)?.reason).toBe('DEADLINE_EXCEEDED');
    expect(ran).toBe(false);
  });

  it('aborts ctx.signal at the deadline', async () => {
    const aborted = deferred<unknown>();
    harness = await startIssuer({
      vend: async (_request, ctx) => {
        await once(ctx.signal, 'abort');
        aborted.resolve(ctx.signal.reason);
        return { token: 'too late' };
      },
    });
    const { client } = harness;
    const error = await rejection(unaryCall(client.vend.bind(client), VEND, { deadlineMs: 200 }));

    expect(error.code).toBe(Status.DEADLINE_EXCEEDED);
    expect(await aborted.promise).toMatchObject({ code: Status.DEADLINE_EXCEEDED });
  });

  it('hands a handler that reads ctx.signal only after the deadline an already aborted one', async () => {
    // The signal is made on first use: a call that aborted before anyone asked must still
    // answer aborted() and give out a signal aborted with the deadline as its reason.
    const seen = deferred<{ aborted: boolean; signalAborted: boolean; reason: unknown }>();
    harness = await startIssuer({
      vend: async (_request, ctx) => {
        const before = ctx.aborted();
        await new Promise((resolve) => setTimeout(resolve, 500));
        seen.resolve({
          aborted: ctx.aborted() && !before,
          signalAborted: ctx.signal.aborted,
          reason: ctx.signal.reason,
        });
        return { token: 'too late' };
      },
    });
    const { client } = harness;
    const error = await rejection(unaryCall(client.vend.bind(client), VEND, { deadlineMs: 200 }));

    expect(error.code).toBe(Status.DEADLINE_EXCEEDED);
    expect(await seen.promise).toMatchObject({
      aborted: true,
      signalAborted: true,
      reason: { code: Status.DEADLINE_EXCEEDED },
    });
  });

  it('aborts ctx.signal when the client cancels, and records CANCELLED', async () => {
    const started = deferred();
    const aborted = deferred();
    harness = await startIssuer({
      vend: async (_request, ctx) => {
        started.resolve();
        await once(ctx.signal, 'abort');
        aborted.resolve();
        // Throwing in reaction to the abort is not an internal error.
        throw ctx.signal.reason;
      },
    });
    const { client } = harness;
    const controller = new AbortController();
    const call = unaryCall(client.vend.bind(client), VEND, {
      deadlineMs: 30_000,
      signal: controller.signal,
    });
    await started.promise;
    controller.abort();

    expect((await rejection(call)).code).toBe(Status.CANCELLED);
    await aborted.promise;
    const finished = () =>
      harness?.logs.records.find((record) => record.msg === 'rpc finished') !== undefined;
    // The log line follows the abort on the server's own schedule; grpc offers no event for it.
    for (let i = 0; i < 100 && !finished(); i++) await new Promise((r) => setImmediate(r));
    expect(harness.logs.records).toContainEqual(
      expect.objectContaining({ msg: 'rpc finished', code: 'CANCELLED', level: 20 }),
    );
    expect(harness.logs.records.some((record) => record.msg === 'unexpected error')).toBe(false);
  });
});
