import { EventEmitter } from 'node:events';
import { pino } from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { installSignalHandlers } from '../src/index.js';
import { deferred } from './support/deferred.js';
import { type IssuerHarness, startIssuer } from './support/issuer-harness.js';

describe('installSignalHandlers', () => {
  let harness: IssuerHarness | undefined;
  afterEach(async () => {
    await harness?.close();
    harness = undefined;
  });

  it('shuts down on SIGTERM, runs cleanup, then exits 0', async () => {
    harness = await startIssuer({});
    const source = new EventEmitter();
    const exited = deferred<number>();
    const steps: string[] = [];
    const uninstall = installSignalHandlers(harness.runtime, {
      logger: pino({ level: 'silent' }),
      graceMs: 5_000,
      source,
      cleanup: async () => {
        steps.push(`cleanup after shutdown: ${harness?.runtime.shuttingDown}`);
      },
      onExit: (code) => exited.resolve(code),
    });

    source.emit('SIGTERM');
    expect(await exited.promise).toBe(0);
    expect(steps).toEqual(['cleanup after shutdown: true']);

    uninstall();
    expect(source.listenerCount('SIGTERM')).toBe(0);
    expect(source.listenerCount('SIGINT')).toBe(0);
  });

  it('exits 1 when cleanup fails', async () => {
    harness = await startIssuer({});
    const source = new EventEmitter();
    const exited = deferred<number>();
    installSignalHandlers(harness.runtime, {
      logger: pino({ level: 'silent' }),
      source,
      cleanup: async () => {
        throw new Error('redis would not close');
      },
      onExit: (code) => exited.resolve(code),
    });
    source.emit('SIGINT');
    expect(await exited.promise).toBe(1);
  });

  it('shuts down on SIGHUP, as when its terminal closes', async () => {
    harness = await startIssuer({});
    const source = new EventEmitter();
    const exited = deferred<number>();
    installSignalHandlers(harness.runtime, {
      logger: pino({ level: 'silent' }),
      source,
      onExit: (code) => exited.resolve(code),
    });
    source.emit('SIGHUP');
    expect(await exited.promise).toBe(0);
  });

  it('shuts down when the supervisor that started it over IPC is gone', async () => {
    harness = await startIssuer({});
    let unreferenced = false;
    const source = Object.assign(new EventEmitter(), {
      connected: true,
      channel: {
        unref: () => {
          unreferenced = true;
        },
      },
    });
    const exited = deferred<number>();
    const uninstall = installSignalHandlers(harness.runtime, {
      logger: pino({ level: 'silent' }),
      source,
      onExit: (code) => exited.resolve(code),
    });
    // The channel must not keep a stopping process alive.
    expect(unreferenced).toBe(true);
    source.emit('disconnect');
    expect(await exited.promise).toBe(0);
    uninstall();
    expect(source.listenerCount('disconnect')).toBe(0);
  });
});
