import type { Logger } from 'pino';
import type { GrpcServerRuntime } from './server.js';

/** Where signals come from: `process` in production, an EventEmitter in tests. */
export interface SignalSource {
  on(event: NodeJS.Signals | 'disconnect', listener: () => void): unknown;
  off(event: NodeJS.Signals | 'disconnect', listener: () => void): unknown;
  /**
   * True while an IPC channel links this process to the one that started it (`tessera start`
   * spawns every service with one). The channel closes when that process ends, however it
   * ends, SIGKILL included: `disconnect` is how a service learns it has been orphaned.
   */
  readonly connected?: boolean;
  /** The IPC channel, unreferenced so that it never keeps a stopping process alive. */
  readonly channel?: { unref(): void } | null | undefined;
}

/**
 * The signals that stop a service: SIGTERM (orchestrators, supervisors), SIGINT (Ctrl-C) and
 * SIGHUP (the terminal it was started from closed).
 */
export const STOP_SIGNALS: readonly NodeJS.Signals[] = ['SIGTERM', 'SIGINT', 'SIGHUP'];

/**
 * Calls `onStop` for each stop signal (see {@link STOP_SIGNALS}), and with `'supervisor gone'`
 * when the process that started this one over an IPC channel has ended. Returns a function
 * that removes the listeners.
 */
export function onStopRequest(
  onStop: (reason: NodeJS.Signals | 'supervisor gone') => void,
  source: SignalSource = process,
  signals: readonly NodeJS.Signals[] = STOP_SIGNALS,
): () => void {
  const listeners = signals.map((signal) => [signal, () => onStop(signal)] as const);
  for (const [signal, listener] of listeners) source.on(signal, listener);
  const orphaned = () => onStop('supervisor gone');
  const supervised = source.connected === true;
  if (supervised) {
    source.channel?.unref();
    source.on('disconnect', orphaned);
  }
  return () => {
    for (const [signal, listener] of listeners) source.off(signal, listener);
    if (supervised) source.off('disconnect', orphaned);
  };
}

/** Options of {@link installSignalHandlers}. */
export interface SignalHandlerOptions {
  readonly logger: Logger;
  /** Grace period handed to `shutdown`; the runtime's default when omitted. */
  readonly graceMs?: number;
  /** Closes what else the process holds (metrics server, Redis) after the server stopped. */
  readonly cleanup?: () => Promise<void>;
  /** Ends the process; `process.exit` when omitted. 0 after a clean stop, 1 on failure. */
  readonly onExit?: (code: number) => void;
  /** Defaults to {@link STOP_SIGNALS}. */
  readonly signals?: readonly NodeJS.Signals[];
  /** Defaults to `process`. */
  readonly source?: SignalSource;
}

/**
 * A stop signal (or the end of the supervising process, see {@link onStopRequest}) → graceful
 * shutdown → cleanup → exit. A second one cancels the calls still running instead of waiting
 * out the grace period. Returns a function that removes the handlers.
 */
export function installSignalHandlers(
  runtime: Pick<GrpcServerRuntime, 'server' | 'shutdown'>,
  options: SignalHandlerOptions,
): () => void {
  const { logger } = options;
  const source: SignalSource = options.source ?? process;
  const exit = options.onExit ?? ((code: number) => process.exit(code));
  let received = false;

  const stop = async (): Promise<number> => {
    try {
      await runtime.shutdown(options.graceMs === undefined ? {} : { graceMs: options.graceMs });
      await options.cleanup?.();
      return 0;
    } catch (error) {
      logger.error({ err: error }, 'shutdown failed');
      return 1;
    }
  };

  const onSignal = (signal: NodeJS.Signals | 'supervisor gone') => {
    if (received) {
      logger.warn({ signal }, 'second signal: cancelling the calls still running');
      runtime.server.forceShutdown();
      return;
    }
    received = true;
    logger.info({ signal }, 'signal received: shutting down');
    void stop().then(exit);
  };

  return onStopRequest(onSignal, source, options.signals);
}
