import { credentials, status as Status } from '@grpc/grpc-js';
import { issuerV1 } from '@tessera/contracts';
import { TesseraError } from '@tessera/errors';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import {
  clientCallMetrics,
  createCaller,
  createCallTransport,
  createChannelOptions,
  unaryCall,
} from '../src/index.js';
import { type Deferred, deferred } from './support/deferred.js';
import { type IssuerHandlers, rejection, startIssuer } from './support/issuer-harness.js';

// The counters and the in-flight gauge are pushed into prom-client when scraped, so every
// assertion here reads the exposition text, as a Prometheus scrape would.

const VEND = 'grpc_type="unary",grpc_service="tessera.issuer.v1.IssuerService",grpc_method="Vend"';
const JWKS =
  'grpc_type="unary",grpc_service="tessera.issuer.v1.IssuerService",grpc_method="GetJwks"';

/** The value of the sample `name{labels}` in exposition `text`, or undefined when absent. */
function sample(text: string, name: string, labels: string): number | undefined {
  const prefix = `${name}{${labels}} `;
  const line = text.split('\n').find((candidate) => candidate.startsWith(prefix));
  return line === undefined ? undefined : Number(line.slice(prefix.length));
}

/** The samples of one side's families for one method, as a scrape of `registry` shows them. */
async function scrape(registry: Registry, side: 'server' | 'client', labels: string) {
  const text = await registry.metrics();
  const handled = (code: string) =>
    sample(text, `grpc_${side}_handled_total`, `${labels},grpc_code="${code}"`);
  return {
    started: sample(text, `grpc_${side}_started_total`, labels),
    ok: handled('OK'),
    notFound: handled('NOT_FOUND'),
    inFlight: sample(text, `grpc_${side}_in_flight_calls`, labels),
    observed: sample(text, `grpc_${side}_handling_seconds_count`, labels),
  };
}

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Vend answers, or fails NOT_FOUND for tenant `missing`; GetJwks always fails NOT_FOUND. */
const VEND_HANDLERS: Partial<IssuerHandlers> = {
  vend: async (request) => {
    if (request.tenantId === 'missing') throw new TesseraError('TENANT_NOT_FOUND', 'no tenant');
    return { token: 'x' };
  },
  getJwks: async () => {
    throw new TesseraError('TENANT_NOT_FOUND', 'no tenant');
  },
};

/** A real issuer server on 127.0.0.1:0 counting into `registry`, and a client of it. */
async function serveOn(
  registry: Registry,
  handlers: Partial<IssuerHandlers>,
): Promise<{ client: issuerV1.IssuerServiceClient; address: string }> {
  const harness = await startIssuer(handlers, { registry });
  cleanups.push(() => harness.close());
  return { client: harness.client, address: harness.address };
}

/** A generated client of `address` with its own client interceptor recording into `registry`. */
function measuredClient(address: string, registry: Registry): issuerV1.IssuerServiceClient {
  const client = new issuerV1.IssuerServiceClient(address, credentials.createInsecure(), {
    ...createChannelOptions(),
    interceptors: [clientCallMetrics(registry)],
  });
  cleanups.push(() => client.close());
  return client;
}

const vendRequest = (tenantId: string) => ({
  tenantId,
  claimsJson: '{}',
  keyId: '',
  timeToLiveSeconds: 0,
});

function vend(client: issuerV1.IssuerServiceClient, tenantId = 't') {
  return unaryCall(client.vend.bind(client), vendRequest(tenantId), { deadlineMs: 5_000 });
}

function getJwks(client: issuerV1.IssuerServiceClient) {
  return unaryCall(client.getJwks.bind(client), { tenantId: 'x' }, { deadlineMs: 5_000 });
}

/** Vend handlers that hold each call until the test releases it, telling when one arrived. */
function heldVend(): {
  handlers: Partial<IssuerHandlers>;
  arrived: Deferred<void>;
  release: Deferred<void>;
} {
  const arrived = deferred();
  const release = deferred();
  return {
    arrived,
    release,
    handlers: {
      vend: async () => {
        arrived.resolve();
        await release.promise;
        return { token: 'x' };
      },
    },
  };
}

describe('server call metrics, counted at scrape time', () => {
  it('shows exact started, handled by code and in-flight after a mix of calls', async () => {
    const registry = new Registry();
    const { client } = await serveOn(registry, VEND_HANDLERS);
    for (let i = 0; i < 5; i++) await vend(client);
    for (let i = 0; i < 3; i++) await rejection(vend(client, 'missing'));
    const failure = await rejection(getJwks(client));
    expect(failure.code).toBe(Status.NOT_FOUND);

    expect(await scrape(registry, 'server', VEND)).toEqual({
      started: 8,
      ok: 5,
      notFound: 3,
      inFlight: 0,
      observed: 8,
    });
    const jwks = await scrape(registry, 'server', JWKS);
    expect(jwks).toMatchObject({ started: 1, ok: undefined, notFound: 1, inFlight: 0 });
  });

  it('does not count twice across scrapes, and adds only what happened in between', async () => {
    const registry = new Registry();
    const { client } = await serveOn(registry, VEND_HANDLERS);
    await vend(client);
    await rejection(vend(client, 'missing'));
    const first = await scrape(registry, 'server', VEND);
    expect(await scrape(registry, 'server', VEND)).toEqual(first);
    expect(first).toMatchObject({ started: 2, ok: 1, notFound: 1, inFlight: 0 });

    await vend(client);
    expect(await scrape(registry, 'server', VEND)).toMatchObject({
      started: 3,
      ok: 2,
      notFound: 1,
      inFlight: 0,
    });
    // A scrape of one family alone flushes it as well.
    expect(await registry.getSingleMetricAsString('grpc_server_started_total')).toContain(
      `grpc_server_started_total{${VEND}} 3`,
    );
  });

  it('shows a call in progress as in flight, started and not yet handled', async () => {
    const registry = new Registry();
    const held = heldVend();
    const { client } = await serveOn(registry, held.handlers);
    const call = vend(client);
    await held.arrived.promise;

    expect(await scrape(registry, 'server', VEND)).toMatchObject({
      started: 1,
      ok: undefined,
      inFlight: 1,
    });
    held.release.resolve();
    await call;
    expect(await scrape(registry, 'server', VEND)).toMatchObject({
      started: 1,
      ok: 1,
      inFlight: 0,
    });
  });

  it('counts the calls of every server sharing one registry', async () => {
    const registry = new Registry();
    const one = await serveOn(registry, VEND_HANDLERS);
    const two = await serveOn(registry, VEND_HANDLERS);
    await vend(one.client);
    await vend(one.client);
    await vend(two.client);
    await rejection(vend(two.client, 'missing'));

    expect(await scrape(registry, 'server', VEND)).toEqual({
      started: 4,
      ok: 3,
      notFound: 1,
      inFlight: 0,
      observed: 4,
    });
  });

  it('ends a call in the metrics even when mapping its error throws', async () => {
    // An internal error is logged with its stack while it is mapped; a stack that cannot be
    // read makes the mapping itself throw. The call must still leave the in-flight gauge.
    const unreadable = () => {
      const error = new Error('broken');
      Object.defineProperty(error, 'stack', {
        get() {
          throw new Error('no stack here');
        },
      });
      return error;
    };
    const registry = new Registry();
    const { client } = await serveOn(registry, {
      vend: async () => {
        throw unreadable();
      },
    });
    // An unexpected error is UNKNOWN on the wire (reason INTERNAL), and counted so.
    expect((await rejection(vend(client))).code).toBe(Status.UNKNOWN);
    const text = await registry.metrics();
    expect(sample(text, 'grpc_server_in_flight_calls', VEND)).toBe(0);
    expect(sample(text, 'grpc_server_handled_total', `${VEND},grpc_code="UNKNOWN"`)).toBe(1);
  });

  it('still counts exactly into families another module registered first', async () => {
    const registry = new Registry();
    // Registered without this runtime's collectors, as another copy of it would.
    const foreign = new Counter({
      name: 'grpc_server_started_total',
      help: 'RPCs started on the server.',
      labelNames: ['grpc_type', 'grpc_service', 'grpc_method'],
      registers: [registry],
    });
    const { client } = await serveOn(registry, VEND_HANDLERS);
    await vend(client);
    await rejection(vend(client, 'missing'));

    expect(registry.getSingleMetric('grpc_server_started_total')).toBe(foreign);
    const first = await scrape(registry, 'server', VEND);
    expect(first).toEqual({ started: 2, ok: 1, notFound: 1, inFlight: 0, observed: 2 });
    expect(await scrape(registry, 'server', VEND)).toEqual(first);
  });
});

describe('client call metrics, counted at scrape time', () => {
  it('counts calls by code, in flight while one is held, and not twice across scrapes', async () => {
    const registry = new Registry();
    const held = heldVend();
    const { address } = await serveOn(registry, { ...VEND_HANDLERS, vend: held.handlers.vend });
    const client = measuredClient(address, registry);

    const call = vend(client);
    await held.arrived.promise;
    expect(await scrape(registry, 'client', VEND)).toMatchObject({
      started: 1,
      ok: undefined,
      inFlight: 1,
    });
    held.release.resolve();
    await call;
    await rejection(getJwks(client));
    await rejection(getJwks(client));

    const first = await scrape(registry, 'client', VEND);
    expect(first).toEqual({ started: 1, ok: 1, notFound: undefined, inFlight: 0, observed: 1 });
    expect(await scrape(registry, 'client', VEND)).toEqual(first);
    expect(await scrape(registry, 'client', JWKS)).toMatchObject({
      started: 2,
      notFound: 2,
      inFlight: 0,
    });
    // The server side of the same registry is counted apart, under its own names.
    expect(await scrape(registry, 'server', JWKS)).toMatchObject({ started: 2, notFound: 2 });
  });

  it('counts the calls of every client and transport recording into one registry', async () => {
    const registry = new Registry();
    const { address } = await serveOn(new Registry(), VEND_HANDLERS);
    const one = measuredClient(address, registry);
    const two = measuredClient(address, registry);
    const transport = createCallTransport({
      kind: 'unary',
      target: address,
      metadata: {},
      metrics: registry,
    });
    cleanups.push(() => transport.close());
    const issuer = createCaller(issuerV1.IssuerServiceService, transport, { deadlineMs: 5_000 });

    await vend(one);
    await vend(two);
    await rejection(vend(two, 'missing'));
    await issuer.vend(issuerV1.VendRequest.fromPartial({ tenantId: 't' }));
    await expect(
      issuer.vend(issuerV1.VendRequest.fromPartial({ tenantId: 'missing' })),
    ).rejects.toMatchObject({ code: Status.NOT_FOUND });

    const first = await scrape(registry, 'client', VEND);
    expect(first).toEqual({ started: 5, ok: 3, notFound: 2, inFlight: 0, observed: 5 });
    expect(await scrape(registry, 'client', VEND)).toEqual(first);
  });
});
