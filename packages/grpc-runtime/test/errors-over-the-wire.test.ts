import { credentials, status as Status } from '@grpc/grpc-js';
import { issuerV1 } from '@tessera/contracts';
import { invalidArgument, TesseraError } from '@tessera/errors';
import { afterEach, describe, expect, it } from 'vitest';
import { createChannelOptions, readErrorDetails, unaryCall } from '../src/index.js';
import { type IssuerHarness, rejection, startIssuer } from './support/issuer-harness.js';

const VEND = { tenantId: 't1', claimsJson: '{}', keyId: '', timeToLiveSeconds: 0 };

describe('errors over the wire', () => {
  const harnesses: IssuerHarness[] = [];
  afterEach(async () => {
    await Promise.all(harnesses.splice(0).map((harness) => harness.close()));
  });

  it('delivers a TesseraError as status, ErrorInfo reason, metadata and BadRequest field', async () => {
    const harness = await startIssuer({
      vend: async () => {
        throw invalidArgument('claims_json', 'claims must be a JSON object', { got: 'array' });
      },
    });
    harnesses.push(harness);
    const { client } = harness;
    const error = await rejection(unaryCall(client.vend.bind(client), VEND, { deadlineMs: 5_000 }));

    expect(error.code).toBe(Status.INVALID_ARGUMENT);
    expect(error.details).toBe('claims must be a JSON object');
    expect(error.metadata.get('tessera-error-reason')).toEqual(['INVALID_ARGUMENT']);
    expect(readErrorDetails(error)).toEqual({
      code: Status.INVALID_ARGUMENT,
      reason: 'INVALID_ARGUMENT',
      field: 'claims_json',
      metadata: { got: 'array' },
      message: 'claims must be a JSON object',
    });
  });

  it('sends an unknown error as UNKNOWN with a generic message and logs the stack', async () => {
    const harness = await startIssuer({
      vend: async () => {
        throw new TypeError('cannot read properties of undefined (secret-internal-detail)');
      },
    });
    harnesses.push(harness);
    const { client } = harness;
    const error = await rejection(unaryCall(client.vend.bind(client), VEND, { deadlineMs: 5_000 }));

    expect(error.code).toBe(Status.UNKNOWN);
    expect(error.details).toBe('internal error');
    expect(readErrorDetails(error)?.reason).toBe('INTERNAL');
    expect(JSON.stringify(error.metadata.toJSON())).not.toContain('secret-internal-detail');

    const logged = harness.logs.records.find((record) => record.msg === 'unexpected error');
    expect(logged).toMatchObject({
      level: 50,
      rpc: '/tessera.issuer.v1.IssuerService/Vend',
      err: { type: 'TypeError', stack: expect.stringContaining('secret-internal-detail') },
    });
    expect(harness.logs.records).toContainEqual(
      expect.objectContaining({
        msg: 'rpc finished',
        code: 'UNKNOWN',
        reason: 'INTERNAL',
        level: 50,
      }),
    );
  });

  it('maps failures of downstream gRPC calls made by a handler', async () => {
    // A downstream service that answers NOT_FOUND, and one that is gone.
    const downstream = await startIssuer({
      getJwks: async () => {
        throw new TesseraError('TENANT_NOT_FOUND', 'no such tenant');
      },
    });
    harnesses.push(downstream);
    const gone = await startIssuer({});
    await gone.close();
    const goneClient = new issuerV1.IssuerServiceClient(
      gone.address,
      credentials.createInsecure(),
      createChannelOptions(),
    );

    const harness = await startIssuer({
      vend: async (request) => {
        const target = request.tenantId === 'gone' ? goneClient : downstream.client;
        await unaryCall(target.getJwks.bind(target), { tenantId: '' }, { deadlineMs: 5_000 });
        return { token: 'unreachable' };
      },
    });
    harnesses.push(harness);
    const { client } = harness;
    try {
      const internal = await rejection(
        unaryCall(client.vend.bind(client), VEND, { deadlineMs: 5_000 }),
      );
      expect(readErrorDetails(internal)).toMatchObject({
        code: Status.UNKNOWN,
        reason: 'INTERNAL',
        message: 'internal error',
      });

      const unavailable = await rejection(
        unaryCall(client.vend.bind(client), { ...VEND, tenantId: 'gone' }, { deadlineMs: 5_000 }),
      );
      expect(readErrorDetails(unavailable)).toMatchObject({
        code: Status.UNAVAILABLE,
        reason: 'UNAVAILABLE',
      });
    } finally {
      goneClient.close();
    }
  });
});
