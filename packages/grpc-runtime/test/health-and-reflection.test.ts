import { once } from 'node:events';
import {
  type ClientReadableStream,
  Server,
  ServerCredentials,
  type ServiceError,
  status as Status,
} from '@grpc/grpc-js';
import { defaultProtoRoot, SERVICE_PROTO_FILES } from '@tessera/contracts';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { addHealth } from '../src/health.js';
import { HealthClient, ReflectionClient } from './support/generic-clients.js';
import { type IssuerHarness, startIssuer } from './support/issuer-harness.js';

describe('health', () => {
  let harness: IssuerHarness | undefined;
  let health: HealthClient | undefined;
  afterEach(async () => {
    health?.close();
    await harness?.close();
    harness = health = undefined;
  });

  it('reports SERVING overall and per service once listening', async () => {
    harness = await startIssuer({});
    health = new HealthClient(harness.address);
    expect(await health.check('')).toBe('SERVING');
    expect(await health.check('tessera.issuer.v1.IssuerService')).toBe('SERVING');
    const unknown = await health.check('no.such.Service').catch((error: ServiceError) => error);
    expect(unknown).toMatchObject({ code: Status.NOT_FOUND });
  });

  it('turns NOT_SERVING for watchers as soon as shutdown starts', async () => {
    harness = await startIssuer({});
    health = new HealthClient(harness.address);
    const watch = health.watch('tessera.issuer.v1.IssuerService');
    const statuses: string[] = [];
    const seen = (wanted: number) =>
      new Promise<void>((resolve) => {
        const onData = (message: { status?: unknown }) => {
          statuses.push(String(message.status));
          if (statuses.length === wanted) {
            watch.off('data', onData);
            resolve();
          }
        };
        watch.on('data', onData);
      });
    watch.on('error', () => {
      // Cancelled below.
    });

    await seen(1);
    expect(statuses).toEqual(['SERVING']);
    const stopping = harness.runtime.shutdown({ graceMs: 10_000 });
    expect(harness.runtime.shuttingDown).toBe(true);
    await seen(2);
    expect(statuses).toEqual(['SERVING', 'NOT_SERVING']);
    // The server ends its watches itself: an open one would hold the graceful shutdown until
    // its grace period (10 s here) ran out, and the test's own 5 s timeout first.
    await once(watch, 'end');
    await stopping;
  });

  it('tells watchers only of changes, and keeps a watch of an unknown service open', async () => {
    harness = await startIssuer({});
    health = new HealthClient(harness.address);
    const overall = collect(health.watch(''));
    const unknown = collect(health.watch('no.such.Service'));
    await vi.waitFor(() => expect(overall.statuses).toEqual(['SERVING']));
    await vi.waitFor(() => expect(unknown.statuses).toEqual(['SERVICE_UNKNOWN']));
    harness.runtime.setReady(false);
    await vi.waitFor(() => expect(overall.statuses).toEqual(['SERVING', 'NOT_SERVING']));
    harness.runtime.setReady(true);
    await vi.waitFor(() => expect(overall.statuses).toEqual(['SERVING', 'NOT_SERVING', 'SERVING']));
    // A Check round trip after the last change: anything more would have been sent by now.
    expect(await health.check('')).toBe('SERVING');
    expect(overall.statuses).toHaveLength(3);
    expect(unknown.statuses).toEqual(['SERVICE_UNKNOWN']);
    expect(unknown.ended).toBe(false);
    overall.stream.cancel();
    unknown.stream.cancel();
  });

  it('lists the overall status and every service', async () => {
    harness = await startIssuer({});
    health = new HealthClient(harness.address);
    expect(await health.list()).toMatchObject({
      '': 'SERVING',
      'tessera.issuer.v1.IssuerService': 'SERVING',
    });
  });

  it('follows setReady both ways while serving', async () => {
    harness = await startIssuer({});
    health = new HealthClient(harness.address);
    expect(await health.check('')).toBe('SERVING');
    harness.runtime.setReady(false);
    expect(await health.check('')).toBe('NOT_SERVING');
    expect(await health.check('tessera.issuer.v1.IssuerService')).toBe('NOT_SERVING');
    harness.runtime.setReady(false);
    harness.runtime.setReady(true);
    expect(await health.check('')).toBe('SERVING');
  });
});

describe('health watchers', () => {
  let server: Server | undefined;
  const clients: HealthClient[] = [];
  afterEach(() => {
    for (const client of clients.splice(0)) client.close();
    server?.forceShutdown();
    server = undefined;
  });

  /** A bare grpc-js server with health only, its reporter, and a way to connect clients. */
  async function healthServer(options: Parameters<typeof addHealth>[2]) {
    server = new Server();
    const reporter = addHealth(server, ['x.Service'], options);
    const port = await new Promise<number>((resolve, reject) =>
      server?.bindAsync('127.0.0.1:0', ServerCredentials.createInsecure(), (error, bound) =>
        error ? reject(error) : resolve(bound),
      ),
    );
    reporter.setAll('SERVING');
    // Each client on a connection of its own (grpc-js shares one between equal clients).
    const connect = () => {
      const client = new HealthClient(`127.0.0.1:${port}`, {
        'grpc.use_local_subchannel_pool': 1,
      });
      clients.push(client);
      return client;
    };
    return { reporter, connect };
  }

  it('refuses a watch past the bound with RESOURCE_EXHAUSTED and takes one again once a watcher leaves', async () => {
    const { connect } = await healthServer({ maxWatchers: 2 });
    const client = connect();
    const first = collect(client.watch(''));
    const second = collect(client.watch('x.Service'));
    await vi.waitFor(() => expect(first.statuses).toEqual(['SERVING']));
    await vi.waitFor(() => expect(second.statuses).toEqual(['SERVING']));
    const third = collect(client.watch(''));
    await vi.waitFor(() => expect(third.error?.code).toBe(Status.RESOURCE_EXHAUSTED));
    expect(third.error?.details).toMatch(/server already has 2 health watchers/);
    first.stream.cancel();
    const fourth = collect(client.watch(''));
    await vi.waitFor(() => expect(fourth.statuses).toEqual(['SERVING']));
    second.stream.cancel();
    fourth.stream.cancel();
  });

  it('bounds the watches of one connection, so one client cannot take every slot', async () => {
    const { connect } = await healthServer({ maxWatchers: 10, maxWatchersPerConnection: 2 });
    const greedy = connect();
    const held = [collect(greedy.watch('')), collect(greedy.watch(''))];
    await vi.waitFor(() =>
      expect(held.map((watch) => watch.statuses)).toEqual([['SERVING'], ['SERVING']]),
    );
    const refused = collect(greedy.watch(''));
    await vi.waitFor(() => expect(refused.error?.code).toBe(Status.RESOURCE_EXHAUSTED));
    expect(refused.error?.details).toMatch(/connection already has 2 health watchers/);
    const other = collect(connect().watch(''));
    await vi.waitFor(() => expect(other.statuses).toEqual(['SERVING']));
    // A watch that ends gives its connection's slot back.
    held[0]?.stream.cancel();
    const again = collect(greedy.watch(''));
    await vi.waitFor(() => expect(again.statuses).toEqual(['SERVING']));
    for (const watch of [held[1], other, again]) watch?.stream.cancel();
  });

  it('answers a watch that arrives after the watches were ended with the status, then ends it', async () => {
    const { reporter, connect } = await healthServer({});
    reporter.setAll('NOT_SERVING');
    reporter.endWatches();
    const late = collect(connect().watch(''));
    await vi.waitFor(() => expect(late.ended).toBe(true));
    expect(late.statuses).toEqual(['NOT_SERVING']);
  });

  it('repeats at most the first 128 characters of an unknown service name', async () => {
    const { connect } = await healthServer({});
    const name = 'x'.repeat(20_000);
    const unknown = await connect()
      .check(name)
      .catch((error: ServiceError) => error);
    expect(unknown).toMatchObject({ code: Status.NOT_FOUND });
    expect((unknown as ServiceError).details.length).toBeLessThan(200);
  });
});

/** A watch's statuses as they arrive, its error, and whether it ended. */
function collect(stream: ClientReadableStream<object>) {
  const seen: {
    stream: ClientReadableStream<object>;
    statuses: string[];
    error: ServiceError | undefined;
    ended: boolean;
  } = { stream, statuses: [], error: undefined, ended: false };
  stream.on('data', (message: { status?: unknown }) => seen.statuses.push(String(message.status)));
  stream.on('error', (error: ServiceError) => {
    if (error.code !== Status.CANCELLED) seen.error = error;
  });
  stream.on('end', () => {
    seen.ended = true;
  });
  return seen;
}

describe('reflection', () => {
  let harness: IssuerHarness | undefined;
  let reflection: ReflectionClient | undefined;
  afterEach(async () => {
    reflection?.close();
    await harness?.close();
    harness = reflection = undefined;
  });

  it('lists the tessera services and health, and serves their descriptors', async () => {
    harness = await startIssuer(
      {},
      { reflection: { protoRoot: defaultProtoRoot(), files: SERVICE_PROTO_FILES } },
    );
    reflection = new ReflectionClient(harness.address);

    const listed = await reflection.ask({ listServices: '' });
    const names = (listed.listServicesResponse as { service: { name: string }[] }).service.map(
      (service) => service.name,
    );
    expect(names).toEqual(
      expect.arrayContaining([
        'tessera.issuer.v1.IssuerService',
        'tessera.session.v1.SessionService',
        'grpc.health.v1.Health',
      ]),
    );

    const described = await reflection.ask({
      fileContainingSymbol: 'tessera.issuer.v1.IssuerService',
    });
    const files = (described.fileDescriptorResponse as { fileDescriptorProto: Buffer[] })
      .fileDescriptorProto;
    expect(files.length).toBeGreaterThan(0);
    const text = Buffer.concat(files).toString('latin1');
    expect(text).toContain('IssuerService');
    expect(text).toContain('VendRequest');
  });
});
