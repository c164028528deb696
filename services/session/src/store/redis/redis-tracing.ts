import { createHash } from 'node:crypto';
import { tracingChannel } from 'node:diagnostics_channel';
import { SpanStatusCode, type Tracing } from '@tessera/tracing';
import type { CommandTraceContext } from 'ioredis';
import type { ScriptDefinition } from './lua-scripts.js';

type Span = NonNullable<ReturnType<Tracing['startDependencySpan']>>;

/**
 * A client span per Redis command sent inside a traced call, named after the command and, for
 * our Lua scripts, the script (`EVALSHA refreshTokenRotate`). It listens to the `ioredis:command`
 * tracing channel that ioredis publishes every command on, so it covers every topology
 * (standalone, Sentinel, each Cluster node) without wrapping a client. Commands outside a traced
 * call (the revocation feed's blocking reads) start no span. Arguments are never recorded: they
 * hold token hashes and user data. Returns the unsubscribe function; a no-op when tracing is off.
 */
export function traceRedisCommands(
  tracing: Tracing,
  scripts: Readonly<Record<string, ScriptDefinition>>,
): () => void {
  if (!tracing.enabled) return () => {};
  // ioredis sends EVAL with the script's text until the connection has loaded it, EVALSHA after.
  const scriptByFirstArgument = new Map<string, string>();
  for (const [name, script] of Object.entries(scripts)) {
    scriptByFirstArgument.set(createHash('sha1').update(script.lua).digest('hex'), name);
    scriptByFirstArgument.set(script.lua, name);
  }
  const spans = new WeakMap<object, Span>();
  const channel = tracingChannel<unknown, CommandTraceContext>('ioredis:command');
  const handlers = {
    start(message: CommandTraceContext) {
      const operation = message.command.toUpperCase();
      const script =
        operation === 'EVALSHA' || operation === 'EVAL'
          ? scriptByFirstArgument.get(message.args[0] ?? '')
          : undefined;
      const span = tracing.startDependencySpan(script ? `${operation} ${script}` : operation, {
        'db.system.name': 'redis',
        'db.operation.name': operation,
        'db.namespace': String(message.database),
        ...(script ? { 'db.stored_procedure.name': script } : {}),
        'server.address': message.serverAddress,
        ...(message.serverPort === undefined ? {} : { 'server.port': message.serverPort }),
      });
      if (span) spans.set(message, span);
    },
    end() {},
    asyncStart() {},
    asyncEnd(message: CommandTraceContext) {
      spans.get(message)?.end();
    },
    error(message: CommandTraceContext & { error?: unknown }) {
      const span = spans.get(message);
      if (span === undefined) return;
      const error = message.error;
      span.setStatus({
        code: SpanStatusCode.ERROR,
        message: error instanceof Error ? error.message : 'failed',
      });
      span.end();
      spans.delete(message);
    },
  };
  channel.subscribe(handlers);
  return () => channel.unsubscribe(handlers);
}
