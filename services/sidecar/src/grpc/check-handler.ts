import { envoyAuthV3, envoyCoreV3, envoyTypeV3 } from '@tessera/contracts';
import { presentedToken } from '../decision/bearer-token.js';
import type { Decider, Decision } from '../decision/decide.js';
import type { SidecarMetrics } from '../sidecar-metrics.js';

// google.rpc.Code values Envoy reads from CheckResponse.status.
const RPC_OK = 0;
const RPC_UNAUTHENTICATED = 16;
const RPC_PERMISSION_DENIED = 7;
const RPC_UNAVAILABLE = 14;

const STATUS_CODE = {
  401: envoyTypeV3.StatusCode.Unauthorized,
  403: envoyTypeV3.StatusCode.Forbidden,
  503: envoyTypeV3.StatusCode.ServiceUnavailable,
} as const;

function header(key: string, value: string): envoyCoreV3.HeaderValueOption {
  return envoyCoreV3.HeaderValueOption.fromPartial({
    header: { key, value },
    appendAction: envoyCoreV3.HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD,
  });
}

/** Options of {@link createCheckHandler}. */
export interface CheckHandlerOptions {
  readonly decider: Decider;
  readonly metrics: SidecarMetrics;
  /** Remove `Authorization` from the request Envoy forwards upstream. */
  readonly stripAuthorization: boolean;
}

function toCheckResponse(
  decision: Decision,
  stripAuthorization: boolean,
): envoyAuthV3.CheckResponse {
  if (decision.allowed) {
    return envoyAuthV3.CheckResponse.fromPartial({
      status: { code: RPC_OK, message: '' },
      httpResponse: {
        $case: 'okResponse',
        value: {
          headers: decision.headers.set.map(([name, value]) => header(name, value)),
          headersToRemove: [
            ...decision.headers.unset,
            ...(stripAuthorization ? ['authorization'] : []),
          ],
        },
      },
    });
  }
  const code =
    decision.status === 503
      ? RPC_UNAVAILABLE
      : decision.status === 403
        ? RPC_PERMISSION_DENIED
        : RPC_UNAUTHENTICATED;
  return envoyAuthV3.CheckResponse.fromPartial({
    status: { code, message: decision.description },
    httpResponse: {
      $case: 'deniedResponse',
      value: {
        status: { code: STATUS_CODE[decision.status] },
        headers:
          decision.challenge === undefined ? [] : [header('www-authenticate', decision.challenge)],
        body: '',
      },
    },
  });
}

/**
 * Envoy's ext_authz `Check` (and Istio's CUSTOM provider): the request Envoy describes is
 * judged like any other, from its `:method`, `:path` and headers (lower-case in Envoy's map).
 * Allowed: OK with the identity headers for the upstream (and those the client sent itself
 * under the same names removed). Denied: the status and RFC 6750 challenge for the client.
 */
export function createCheckHandler(options: CheckHandlerOptions) {
  return async (request: envoyAuthV3.CheckRequest): Promise<envoyAuthV3.CheckResponse> => {
    const http = request.attributes?.request?.http;
    const headers = http?.headers ?? {};
    const fromMap = new Map(
      // With `encode_raw_headers` Envoy sends header_map entries with raw_value instead.
      (http?.headerMap?.headers ?? []).map(
        (h) =>
          [
            h.key.toLowerCase(),
            h.value !== '' ? h.value : Buffer.from(h.rawValue).toString('latin1'),
          ] as const,
      ),
    );
    const decision = await options.decider.decide({
      method: http?.method || 'GET',
      target: http?.path || '/',
      token: presentedToken((name) => headers[name] ?? fromMap.get(name)),
    });
    options.metrics.decided('envoy', decision.reason);
    return toCheckResponse(decision, options.stripAuthorization);
  };
}
