import { credentials, Metadata } from '@grpc/grpc-js';
import { issuerV1 } from '@tessera/contracts';
import { TesseraError } from '@tessera/errors';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { LazyAbort } from '../src/call-context.js';
import { callContext } from '../src/call-scope.js';
import {
  type CallContext,
  createCaller,
  createCallPipeline,
  StreamTransport,
  unaryCall,
} from '../src/index.js';
import { captureLogger } from './support/capture-logger.js';
import { type IssuerHarness, startIssuer } from './support/issuer-harness.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

/** What a handler saw of its call's request id and peer, each read twice. */
interface Seen {
  readonly requestIds: readonly string[];
  readonly peers: readonly string[];
}

/** A Vend handler that reads the id and peer twice, then logs one line through `ctx.log`. */
function recordingVend(seen: Seen[]) {
  return async (_request: unknown, ctx: CallContext) => {
    seen.push({ requestIds: [ctx.requestId, ctx.requestId], peers: [ctx.peer, ctx.peer] });
    ctx.log.info('handled');
    return { token: 'x' };
  };
}

const vendRequest = { tenantId: 't', claimsJson: '{}', keyId: '', timeToLiveSeconds: 0 };

describe('request id and peer of a served call', () => {
  let harness: IssuerHarness | undefined;
  const seen: Seen[] = [];
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
    seen.length = 0;
  });

  /** Makes one call with `x-request-id` set to `id` (none when undefined); returns what the server used. */
  async function callWith(id: string | undefined): Promise<string> {
    harness ??= await startIssuer({ vend: recordingVend(seen) });
    const { client, logs } = harness;
    const metadata = new Metadata();
    if (id !== undefined) metadata.set('x-request-id', id);
    logs.records.length = 0;
    await unaryCall(client.vend.bind(client), vendRequest, { deadlineMs: 5_000, metadata });

    const call = seen.at(-1);
    const [first, second] = call?.requestIds ?? [];
    expect(first).toEqual(expect.any(String));
    expect(second).toBe(first);
    // The handler's own line and the runtime's line carry the id the handler read.
    const lines = logs.records.filter(
      (record) => record.msg === 'handled' || record.msg === 'rpc finished',
    );
    expect(lines.map((line) => line.requestId)).toEqual([first, first]);
    expect(call?.peers[0]).toMatch(/^127\.0\.0\.1:\d+$/);
    expect(call?.peers[1]).toBe(call?.peers[0]);
    return first ?? '';
  }

  it('keeps a caller-chosen id that is a plain token', async () => {
    for (const id of ['req-42', 'A.b_c:d-9', 'x'.repeat(128)]) {
      expect(await callWith(id)).toBe(id);
    }
  });

  it('replaces a missing or unsafe id with a fresh UUID, the same on every read', async () => {
    const ids = [];
    for (const id of [undefined, 'has space', 'semi;colon', 'x'.repeat(129), '']) {
      const used = await callWith(id);
      expect(used).toMatch(UUID);
      ids.push(used);
    }
    expect(new Set(ids).size).toBe(ids.length);
  });

  it('gives a call carried by a multiplexed stream the same rules and the stream peer', async () => {
    harness = await startIssuer(
      { vend: recordingVend(seen) },
      {
        multiplex: {
          authenticate: (metadata) => {
            if (metadata.get('authorization')[0] !== 'k') {
              throw new TesseraError('UNAUTHENTICATED', 'unknown key');
            }
          },
        },
      },
    );
    const transport = new StreamTransport({
      target: harness.address,
      credentials: credentials.createInsecure(),
      metadata: { authorization: 'k' },
    });
    try {
      const issuer = createCaller(issuerV1.IssuerServiceService, transport, { deadlineMs: 5_000 });
      const request = issuerV1.VendRequest.fromPartial(vendRequest);
      await issuer.vend(request, { metadata: { 'x-request-id': 'carried-1' } });
      await issuer.vend(request, { metadata: { 'x-request-id': 'not ok' } });
    } finally {
      transport.close();
    }
    const [kept, replaced] = seen;
    expect(kept?.requestIds).toEqual(['carried-1', 'carried-1']);
    expect(replaced?.requestIds[0]).toMatch(UUID);
    expect(replaced?.requestIds[1]).toBe(replaced?.requestIds[0]);
    expect(kept?.peers).toEqual([expect.stringMatching(/^127\.0\.0\.1:\d+$/), kept?.peers[0]]);
  });
});

describe('the peer of a call that failed late', () => {
  let harness: IssuerHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('is named in the log line of a call past its deadline, read while the stream was open', async () => {
    harness = await startIssuer({
      vend: async (_request, ctx) => {
        await new Promise((resolve) => ctx.signal.addEventListener('abort', resolve));
        throw ctx.signal.reason;
      },
    });
    const { client, logs } = harness;
    await unaryCall(client.vend.bind(client), vendRequest, { deadlineMs: 200 }).catch(() => {});
    await vi.waitFor(() =>
      expect(logs.records).toContainEqual(
        expect.objectContaining({ msg: 'rpc finished', code: 'DEADLINE_EXCEEDED' }),
      ),
    );
    const line = logs.records.find((record) => record.msg === 'rpc finished');
    expect(line?.peer).toMatch(/^127\.0\.0\.1:\d+$/);
  });
});

describe('callContext', () => {
  function contextOf(metadata: Metadata) {
    const logs = captureLogger();
    const ctx = callContext(createCallPipeline({ logger: logs.logger }), {
      method: '/tessera.issuer.v1.IssuerService/Vend',
      kind: 'unary',
      metadata,
      peer: '10.0.0.7:5000',
      deadline: undefined,
      abortState: new LazyAbort(),
    });
    return { ctx, logs };
  }

  it('binds the logger to the id read before, or makes the id the logger binds', () => {
    const readFirst = contextOf(new Metadata());
    const id = readFirst.ctx.requestId;
    readFirst.ctx.log.info('one');
    expect(readFirst.logs.records[0]?.requestId).toBe(id);

    const loggedFirst = contextOf(new Metadata());
    loggedFirst.ctx.log.info('two');
    const bound = loggedFirst.logs.records[0]?.requestId;
    expect(bound).toMatch(UUID);
    expect(loggedFirst.ctx.requestId).toBe(bound);
  });

  it('keeps the id when an interceptor passes a spread copy on', () => {
    const { ctx } = contextOf(new Metadata());
    const copy: CallContext = { ...ctx };
    expect(copy.requestId).toBe(ctx.requestId);
    expect(copy.peer).toBe(ctx.peer);
  });
});
