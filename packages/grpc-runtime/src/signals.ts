import type { Logger } from 'pino';
import type { GrpcServerRuntime } from './server.js';

/** Where signals come from: `process` in production, an EventEmitter in tests. */
export interface SignalSource {
  on(event: NodeJS.Signals, listener: () => void): unknown;
  off(event: NodeJS.Signals, listener: () => void): unknown;
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
  /** Defaults to SIGTERM and SIGINT. */
  readonly signals?: readonly NodeJS.Signals[];
  /** Defaults to `process`. */
  readonly source?: SignalSource;
}

/**
 * SIGTERM/SIGINT → graceful shutdown → cleanup → exit. A second signal cancels the calls
 * still running instead of waiting out the grace period. Returns a function that removes
 * the handlers.
 */
export function installSignalHandlers(
  runtime: Pick<GrpcServerRuntime, 'server' | 'shutdown'>,
  options: SignalHandlerOptions,
): () => void {
  const { logger } = options;
  const source: SignalSource = options.source ?? process;
  const signals = options.signals ?? ['SIGTERM', 'SIGINT'];
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

  const onSignal = (signal: NodeJS.Signals) => {
    if (received) {
      logger.warn({ signal }, 'second signal: cancelling the calls still running');
      runtime.server.forceShutdown();
      return;
    }
    received = true;
    logger.info({ signal }, 'signal received: shutting down');
    void stop().then(exit);
  };

  const listeners = signals.map((signal) => [signal, () => onSignal(signal)] as const);
  for (const [signal, listener] of listeners) source.on(signal, listener);
  return () => {
    for (const [signal, listener] of listeners) source.off(signal, listener);
  };
}
