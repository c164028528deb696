import type { IncomingHttpHeaders, IncomingMessage, ServerResponse } from 'node:http';
import { presentedToken } from '../decision/bearer-token.js';
import type { Decider, Decision } from '../decision/decide.js';
import { perIdentity } from '../decision/identity-headers.js';
import type { SidecarMetrics } from '../sidecar-metrics.js';

/** The prefix of the auth-request endpoint (also where Envoy's `http_service` path_prefix points). */
export const AUTH_PATH = '/auth';

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value[0] : value;
}

/**
 * The original request's method and target, as the proxy reports them: `X-Forwarded-Method`
 * / `X-Forwarded-Uri` (Traefik ForwardAuth, HAProxy), `X-Original-Method` / `X-Original-URI`
 * (nginx `auth_request` by convention), else the check request itself with the `/auth` prefix
 * taken off (Envoy's `http_service` sends the original method and path under its prefix).
 * Only the proxy sets these: it overwrites whatever a client sent under the same names.
 */
export function originalRequest(request: {
  readonly method?: string | undefined;
  readonly url?: string | undefined;
  readonly headers: IncomingHttpHeaders;
}): { method: string; target: string } {
  const headers = request.headers;
  const method =
    single(headers['x-forwarded-method']) ??
    single(headers['x-original-method']) ??
    request.method ??
    'GET';
  const forwarded = single(headers['x-forwarded-uri']) ?? single(headers['x-original-uri']);
  if (forwarded !== undefined) return { method, target: forwarded };
  const own = (request.url ?? AUTH_PATH).slice(AUTH_PATH.length);
  return { method, target: own.startsWith('/') ? own : `/${own}` };
}

/** The response headers of an allowed answer. */
type AllowedHeaders = Readonly<Record<string, string | number>>;

// The allowed answer's response headers, built once per identity-headers object (a repeat
// token's on its first hit only). node:http only reads the object writeHead is given.
const allowedHeadersFor = perIdentity((identity): AllowedHeaders => {
  const built: Record<string, string | number> = {
    'cache-control': 'no-store',
    'content-length': 0,
  };
  for (const [name, value] of identity.set) built[name] = value;
  return Object.freeze(built);
});

/**
 * Auth-request mode for nginx `auth_request`, Traefik ForwardAuth, HAProxy and Envoy's
 * `http_service`: `/auth` and everything under it, any method. 200 with the identity headers
 * (`x-tessera-subject`, `-tenant`, `-application`, `-roles` and the configured claim headers)
 * for the proxy to copy upstream; 401 with an RFC 6750 challenge; 403 `insufficient_scope`
 * when the route's policy is not met; 503 while the sidecar is not answering. Empty bodies.
 */
export function answerAuthRequest(
  request: IncomingMessage,
  response: ServerResponse,
  deps: { readonly decider: Decider; readonly metrics: SidecarMetrics },
): void | Promise<void> {
  const { method, target } = originalRequest(request);
  const headers = request.headers;
  const decided = deps.decider.decide({
    method,
    target,
    token: presentedToken((name) => single(headers[name])),
  });
  // A repeat token's decision is known at once: answered in this turn, with no promise.
  if (decided instanceof Promise)
    return decided.then((decision) => answer(response, decision, deps));
  answer(response, decided, deps);
}

function answer(
  response: ServerResponse,
  decision: Decision,
  deps: { readonly metrics: SidecarMetrics },
): void {
  deps.metrics.decided('auth-request', decision.reason);
  // Headers written as they are (no copy by sendEmpty), one object per token for the allowed
  // answers: this is the hot path of nginx's auth_request, where every allocation is paid in
  // collections.
  if (decision.allowed) {
    response.writeHead(200, allowedHeadersFor(decision.headers));
    response.end();
    return;
  }
  response.writeHead(
    decision.status,
    decision.challenge === undefined
      ? { 'cache-control': 'no-store', 'content-length': 0 }
      : {
          'cache-control': 'no-store',
          'www-authenticate': decision.challenge,
          'content-length': 0,
        },
  );
  response.end();
}
