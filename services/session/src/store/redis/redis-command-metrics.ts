import { createHash } from 'node:crypto';
import { performance } from 'node:perf_hooks';
import type { Cluster, Command, Redis } from 'ioredis';
import { Histogram, type Registry } from 'prom-client';
import type { ScriptDefinition } from './lua-scripts.js';

type Labels = 'command' | 'outcome';

// Redis answers in tens of microseconds; a stalled one hits the command timeout (1 s default).
const BUCKETS = [
  0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1, 2.5,
];

/** The one histogram, reused when the registry has it already (several clients, tests). */
function commandHistogram(registry: Registry): Histogram<Labels> {
  const existing = registry.getSingleMetric('tessera_redis_command_seconds');
  if (existing instanceof Histogram) return existing as Histogram<Labels>;
  return new Histogram({
    name: 'tessera_redis_command_seconds',
    help: 'Time from sending a Redis command to its reply, in seconds, by command (a Lua script by its name) and outcome (ok, error).',
    labelNames: ['command', 'outcome'],
    buckets: BUCKETS,
    registers: [registry],
  });
}

/**
 * Times every command `client` sends into `tessera_redis_command_seconds{command,outcome}`.
 * Scripts sent as EVALSHA/EVAL are labelled with their registered name (`refreshTokenRotate`),
 * so the histogram tells the rotation script from a GET. Label children are made once per
 * command and outcome. Blocking reads live on their own duplicated connection, which is not
 * instrumented: their wait is not latency.
 */
export function instrumentRedisCommands(
  client: Redis | Cluster,
  registry: Registry,
  scripts: Readonly<Record<string, ScriptDefinition>>,
): void {
  const histogram = commandHistogram(registry);
  const scriptBySha = new Map<string, string>();
  for (const [name, script] of Object.entries(scripts)) {
    scriptBySha.set(createHash('sha1').update(script.lua).digest('hex'), name);
  }
  const children = new Map<string, Histogram.Internal<Labels>>();
  const child = (command: string, outcome: 'ok' | 'error') => {
    const key = `${command}\u0000${outcome}`;
    let found = children.get(key);
    if (found === undefined) {
      found = histogram.labels({ command, outcome });
      children.set(key, found);
    }
    return found;
  };
  const nameOf = (command: Command): string => {
    const name = command.name.toLowerCase();
    if (name !== 'evalsha' && name !== 'eval') return name;
    const first = command.args[0];
    const sha =
      name === 'evalsha'
        ? String(first)
        : createHash('sha1')
            .update(String(first ?? ''))
            .digest('hex');
    return scriptBySha.get(sha) ?? name;
  };
  // A Cluster re-sends a redirected command through itself: time each command once.
  const timed = new WeakSet<Command>();
  const send = client.sendCommand.bind(client) as (command: Command, ...rest: unknown[]) => unknown;
  const instrumented = (command: Command, ...rest: unknown[]): unknown => {
    if (!timed.has(command)) {
      timed.add(command);
      const started = performance.now();
      const name = nameOf(command);
      command.promise.then(
        () => child(name, 'ok').observe((performance.now() - started) / 1000),
        () => child(name, 'error').observe((performance.now() - started) / 1000),
      );
    }
    return send(command, ...rest);
  };
  Object.defineProperty(client, 'sendCommand', {
    value: instrumented,
    configurable: true,
    writable: true,
  });
}
