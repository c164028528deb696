import { envoyAuthV3, envoyCoreV3, envoyTypeV3 } from '@tessera/contracts';
import { presentedToken } from '../decision/bearer-token.js';
import type { Decider, Decision } from '../decision/decide.js';
import { type IdentityHeaders, perIdentity } from '../decision/identity-headers.js';
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

const OVERWRITE = envoyCoreV3.HeaderValueOption_HeaderAppendAction.OVERWRITE_IF_EXISTS_OR_ADD;
const NO_RAW_VALUE = Buffer.alloc(0);

// The messages are built as plain objects with every field set, not with ts-proto's
// fromPartial, which copies each nested message field by field: a Check answer is built for
// every request Envoy forwards, and in a sidecar run as deployed (1 MiB semi-spaces) every
// allocated object is collection work.
function header(key: string, value: string): envoyCoreV3.HeaderValueOption {
  return {
    header: { key, value, rawValue: NO_RAW_VALUE },
    append: undefined,
    appendAction: OVERWRITE,
    keepEmptyValue: false,
  };
}

/** Options of {@link createCheckHandler}. */
export interface CheckHandlerOptions {
  readonly decider: Decider;
  readonly metrics: SidecarMetrics;
  /** Remove `Authorization` from the request Envoy forwards upstream. */
  readonly stripAuthorization: boolean;
}

function allowedResponse(
  { set, unset }: IdentityHeaders,
  stripAuthorization: boolean,
): envoyAuthV3.CheckResponse {
  const headers: envoyCoreV3.HeaderValueOption[] = new Array(set.length);
  for (let i = 0; i < set.length; i++) {
    const [name, value] = set[i] as readonly [string, string];
    headers[i] = header(name, value);
  }
  return {
    status: { code: RPC_OK, message: '', details: [] },
    httpResponse: {
      $case: 'okResponse',
      value: {
        headers,
        headersToRemove: stripAuthorization ? [...unset, 'authorization'] : [...unset],
        dynamicMetadata: undefined,
        responseHeadersToAdd: [],
        queryParametersToSet: [],
        queryParametersToRemove: [],
      },
    },
    dynamicMetadata: undefined,
  };
}

// Encoded answers, by the answer object: only the kept allowed answers are here, each encoded
// once when it is made. Weak, so an answer goes when its token's headers do.
const encodedAnswers = new WeakMap<envoyAuthV3.CheckResponse, Buffer>();

function encodeCheckResponse(response: envoyAuthV3.CheckResponse): Buffer {
  return (
    encodedAnswers.get(response) ?? Buffer.from(envoyAuthV3.CheckResponse.encode(response).finish())
  );
}

/**
 * Envoy's Authorization service with a Check answer encoder that sends a kept answer's bytes
 * as they were encoded when it was made; every other answer is encoded as usual.
 */
export const AuthorizationService = {
  ...envoyAuthV3.AuthorizationService,
  check: { ...envoyAuthV3.AuthorizationService.check, responseSerialize: encodeCheckResponse },
} as const satisfies typeof envoyAuthV3.AuthorizationService;

/**
 * The allowed answers of the handler, one per identity-headers object (a repeat token's answer
 * is built and encoded once, not per request). Frozen: the bytes sent for an answer are those
 * encoded here, so it must never change.
 */
function allowedAnswers(stripAuthorization: boolean) {
  return perIdentity((headers) => {
    const answer = Object.freeze(allowedResponse(headers, stripAuthorization));
    encodedAnswers.set(answer, Buffer.from(envoyAuthV3.CheckResponse.encode(answer).finish()));
    return answer;
  });
}

function deniedResponse(
  decision: Extract<Decision, { allowed: false }>,
): envoyAuthV3.CheckResponse {
  const code =
    decision.status === 503
      ? RPC_UNAVAILABLE
      : decision.status === 403
        ? RPC_PERMISSION_DENIED
        : RPC_UNAUTHENTICATED;
  return {
    status: { code, message: decision.description, details: [] },
    httpResponse: {
      $case: 'deniedResponse',
      value: {
        status: { code: STATUS_CODE[decision.status] },
        headers:
          decision.challenge === undefined ? [] : [header('www-authenticate', decision.challenge)],
        body: '',
      },
    },
    dynamicMetadata: undefined,
  };
}

/** The `attributes.request.http` of a CheckRequest: the request Envoy asks about. */
type EnvoyHttpRequest = NonNullable<
  NonNullable<NonNullable<envoyAuthV3.CheckRequest['attributes']>['request']>['http']
>;

/**
 * A lookup of the headers Envoy sent: its `headers` map, else (with `encode_raw_headers`)
 * `header_map` entries, whose value may be in raw_value instead. The header_map is indexed
 * only when a name is missing from the map, which a plain Envoy never sends.
 */
function headerLookup(http: EnvoyHttpRequest | undefined): (name: string) => string | undefined {
  const headers = http?.headers ?? {};
  const entries = http?.headerMap?.headers ?? [];
  if (entries.length === 0) return (name) => headers[name];
  let fromMap: Map<string, string> | undefined;
  return (name) => {
    const value = headers[name];
    if (value !== undefined) return value;
    fromMap ??= new Map(
      entries.map(
        (h) =>
          [
            h.key.toLowerCase(),
            h.value !== '' ? h.value : Buffer.from(h.rawValue).toString('latin1'),
          ] as const,
      ),
    );
    return fromMap.get(name);
  };
}

/**
 * Envoy's ext_authz `Check` (and Istio's CUSTOM provider): the request Envoy describes is
 * judged like any other, from its `:method`, `:path` and headers (lower-case in Envoy's map).
 * Allowed: OK with the identity headers for the upstream (and those the client sent itself
 * under the same names removed). Denied: the status and RFC 6750 challenge for the client.
 */
export function createCheckHandler(options: CheckHandlerOptions) {
  const allowed = allowedAnswers(options.stripAuthorization);
  const answer = (decision: Decision): envoyAuthV3.CheckResponse => {
    options.metrics.decided('envoy', decision.reason);
    return decision.allowed ? allowed(decision.headers) : deniedResponse(decision);
  };
  return (request: envoyAuthV3.CheckRequest): Promise<envoyAuthV3.CheckResponse> => {
    const http = request.attributes?.request?.http;
    const decided = options.decider.decide({
      method: http?.method || 'GET',
      target: http?.path || '/',
      token: presentedToken(headerLookup(http)),
    });
    // A repeat token's decision is known at once: one settled promise, no await.
    return decided instanceof Promise ? decided.then(answer) : Promise.resolve(answer(decided));
  };
}
