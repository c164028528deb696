import type { ServiceError } from '@grpc/grpc-js';
import { status as Status } from '@grpc/grpc-js';
import { defaultProtoRoot, SERVICE_PROTO_FILES } from '@tessera/contracts';
import { afterEach, describe, expect, it } from 'vitest';
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
    // An open watch would hold the graceful shutdown until its grace period ends.
    watch.cancel();
    await stopping;
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
