import {
  type Server,
  type ServerUnaryCall,
  type ServerWritableStream,
  type sendUnaryData,
  status,
} from '@grpc/grpc-js';
import { grpcHealthV1 } from '@tessera/contracts';

/** A status a server reports for itself and its services. */
export type ServingStatus = 'SERVING' | 'NOT_SERVING';

/** The `grpc.health.v1.Health` service of one server: overall ('') plus one entry per service. */
export interface HealthReporter {
  /** Sets the overall status and that of every registered service. */
  setAll(status: ServingStatus): void;
  /**
   * Ends every open Watch stream (OK, after the NOT_SERVING it has been sent), so watchers do
   * not hold a draining server open; a watcher reconnects to whichever server is up.
   */
  endWatches(): void;
}

const Status = grpcHealthV1.HealthCheckResponse_ServingStatus;

/**
 * Open Watch streams one server keeps. A watcher costs a listener and an HTTP/2 stream; past
 * this many a new Watch is refused with RESOURCE_EXHAUSTED instead of growing without bound.
 * Kubernetes probes and load balancers use Check, and a handful of proxies Watch.
 */
export const MAX_HEALTH_WATCHERS = 1_000;

/**
 * Open Watch streams one connection may hold, so that a single client cannot take every slot
 * of {@link MAX_HEALTH_WATCHERS} from the proxies and balancers that watch this server.
 */
export const MAX_HEALTH_WATCHERS_PER_CONNECTION = 16;

/** How much of an unknown service name a NOT_FOUND repeats back. */
const ECHOED_NAME_CHARS = 128;

/** Services a List answers with at most, as the protocol allows (RESOURCE_EXHAUSTED beyond). */
const MAX_LISTED = 100;

/**
 * Registers grpc.health.v1 (Check, Watch, List) on `server`, NOT_SERVING until the server says
 * otherwise, so a probe never sees SERVING before the port is bound. Served from the generated
 * contracts (`proto/grpc/health/v1`), not from a package that parses its .proto at run time.
 * Watchers hear a status only when it changes, as the protocol says; an unknown service is
 * NOT_FOUND for Check and SERVICE_UNKNOWN (the stream kept open) for Watch. Open watches are
 * bounded per server and per connection (RESOURCE_EXHAUSTED beyond).
 */
export function addHealth(
  server: Pick<Server, 'addService'>,
  serviceNames: readonly string[],
  options: { maxWatchers?: number; maxWatchersPerConnection?: number } = {},
): HealthReporter {
  const maxWatchers = options.maxWatchers ?? MAX_HEALTH_WATCHERS;
  const maxPerConnection = options.maxWatchersPerConnection ?? MAX_HEALTH_WATCHERS_PER_CONNECTION;
  // Open watches by the connection (peer address and port) they came over.
  const watchesByConnection = new Map<string, number>();
  // Once the server drains, a Watch that still arrives is told the status and ended at once.
  let ended = false;
  const statuses = new Map<string, grpcHealthV1.HealthCheckResponse_ServingStatus>(
    ['', ...serviceNames].map((name) => [name, Status.NOT_SERVING]),
  );
  // Each open Watch: how to tell it a service changed, and how to end it.
  const watchers = new Map<(service: string) => void, () => void>();

  const implementation: grpcHealthV1.HealthServer = {
    check(
      call: ServerUnaryCall<grpcHealthV1.HealthCheckRequest, grpcHealthV1.HealthCheckResponse>,
      callback: sendUnaryData<grpcHealthV1.HealthCheckResponse>,
    ) {
      const known = statuses.get(call.request.service);
      if (known === undefined) {
        const name = call.request.service;
        const shown =
          name.length > ECHOED_NAME_CHARS ? `${name.slice(0, ECHOED_NAME_CHARS)}…` : name;
        callback({ code: status.NOT_FOUND, details: `no health status for service "${shown}"` });
        return;
      }
      callback(null, { status: known });
    },
    watch(
      call: ServerWritableStream<grpcHealthV1.HealthCheckRequest, grpcHealthV1.HealthCheckResponse>,
    ) {
      const { service } = call.request;
      if (ended) {
        call.write({ status: statuses.get(service) ?? Status.SERVICE_UNKNOWN });
        call.end();
        return;
      }
      const connection = call.getPeer();
      const fromConnection = watchesByConnection.get(connection) ?? 0;
      if (watchers.size >= maxWatchers || fromConnection >= maxPerConnection) {
        call.emit('error', {
          code: status.RESOURCE_EXHAUSTED,
          details:
            fromConnection >= maxPerConnection
              ? `this connection already has ${maxPerConnection} health watchers`
              : `this server already has ${maxWatchers} health watchers`,
        });
        return;
      }
      let sent: grpcHealthV1.HealthCheckResponse_ServingStatus | undefined;
      const send = () => {
        const current = statuses.get(service) ?? Status.SERVICE_UNKNOWN;
        if (current === sent) return;
        sent = current;
        call.write({ status: current });
      };
      const watcher = (changed: string) => {
        if (changed === service) send();
      };
      watchers.set(watcher, () => call.end());
      watchesByConnection.set(connection, fromConnection + 1);
      call.once('cancelled', () => {
        if (!watchers.delete(watcher)) return;
        const left = (watchesByConnection.get(connection) ?? 1) - 1;
        if (left > 0) watchesByConnection.set(connection, left);
        else watchesByConnection.delete(connection);
      });
      send();
    },
    list(
      _call: ServerUnaryCall<grpcHealthV1.HealthListRequest, grpcHealthV1.HealthListResponse>,
      callback: sendUnaryData<grpcHealthV1.HealthListResponse>,
    ) {
      if (statuses.size > MAX_LISTED) {
        callback({ code: status.RESOURCE_EXHAUSTED, details: 'too many services to list' });
        return;
      }
      const listed: Record<string, grpcHealthV1.HealthCheckResponse> = {};
      for (const [name, serving] of statuses) listed[name] = { status: serving };
      callback(null, { statuses: listed });
    },
  };
  server.addService(grpcHealthV1.HealthService, implementation);

  return {
    setAll(next) {
      const value = next === 'SERVING' ? Status.SERVING : Status.NOT_SERVING;
      for (const [name, previous] of statuses) {
        if (previous === value) continue;
        statuses.set(name, value);
        for (const watcher of watchers.keys()) watcher(name);
      }
    },
    endWatches() {
      ended = true;
      for (const end of watchers.values()) end();
      watchers.clear();
      watchesByConnection.clear();
    },
  };
}
