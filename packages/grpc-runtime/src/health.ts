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

/** Services a List answers with at most, as the protocol allows (RESOURCE_EXHAUSTED beyond). */
const MAX_LISTED = 100;

/**
 * Registers grpc.health.v1 (Check, Watch, List) on `server`, NOT_SERVING until the server says
 * otherwise, so a probe never sees SERVING before the port is bound. Served from the generated
 * contracts (`proto/grpc/health/v1`), not from a package that parses its .proto at run time.
 * Watchers hear a status only when it changes, as the protocol says; an unknown service is
 * NOT_FOUND for Check and SERVICE_UNKNOWN (the stream kept open) for Watch.
 */
export function addHealth(
  server: Pick<Server, 'addService'>,
  serviceNames: readonly string[],
  options: { maxWatchers?: number } = {},
): HealthReporter {
  const maxWatchers = options.maxWatchers ?? MAX_HEALTH_WATCHERS;
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
        callback({
          code: status.NOT_FOUND,
          details: `no health status for service "${call.request.service}"`,
        });
        return;
      }
      callback(null, { status: known });
    },
    watch(
      call: ServerWritableStream<grpcHealthV1.HealthCheckRequest, grpcHealthV1.HealthCheckResponse>,
    ) {
      if (watchers.size >= maxWatchers) {
        call.emit('error', {
          code: status.RESOURCE_EXHAUSTED,
          details: `this server already has ${maxWatchers} health watchers`,
        });
        return;
      }
      const { service } = call.request;
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
      call.on('cancelled', () => watchers.delete(watcher));
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
      for (const end of watchers.values()) end();
      watchers.clear();
    },
  };
}
