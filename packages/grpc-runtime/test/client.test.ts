import { status as Status } from '@grpc/grpc-js';
import { afterEach, describe, expect, it } from 'vitest';
import { createChannelOptions, unaryCall } from '../src/index.js';
import { type IssuerHarness, rejection, startIssuer } from './support/issuer-harness.js';

describe('client helpers', () => {
  let harness: IssuerHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('sets keepalive and message limits, letting overrides win', () => {
    expect(createChannelOptions()).toMatchObject({
      'grpc.keepalive_time_ms': 30_000,
      'grpc.keepalive_permit_without_calls': 1,
      'grpc.max_receive_message_length': 4 * 1024 * 1024,
      'grpc.max_send_message_length': 4 * 1024 * 1024,
    });
    expect(
      createChannelOptions({ 'grpc.keepalive_time_ms': 5_000 })['grpc.keepalive_time_ms'],
    ).toBe(5_000);
  });

  it('never outlives the parent deadline', async () => {
    let ran = false;
    harness = await startIssuer({
      getJwks: async () => {
        ran = true;
        return { jwksJson: '{}' };
      },
    });
    const { client } = harness;
    const error = await rejection(
      unaryCall(
        client.getJwks.bind(client),
        { tenantId: '' },
        {
          deadlineMs: 5_000,
          parentDeadline: Date.now() - 1,
        },
      ),
    );
    expect(error.code).toBe(Status.DEADLINE_EXCEEDED);
    expect(ran).toBe(false);
  });

  it('does not start a call whose signal is already aborted', async () => {
    harness = await startIssuer({ getJwks: async () => ({ jwksJson: '{}' }) });
    const { client } = harness;
    const reason = new Error('caller gave up');
    const call = unaryCall(
      client.getJwks.bind(client),
      { tenantId: '' },
      {
        deadlineMs: 5_000,
        signal: AbortSignal.abort(reason),
      },
    );
    await expect(call).rejects.toBe(reason);
  });
});
