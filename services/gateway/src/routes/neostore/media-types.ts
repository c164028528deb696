/**
 * The media types Neostore's tokens/generate reads and writes (its OpenAPI document): JSON bodies as
 * `application/json`, `text/json` or `application/*+json`; the token array answered as
 * `application/json`, `text/json` or `text/plain`.
 */

/** Request body media types the route accepts; anything else is a 415. */
export const REQUEST_MEDIA_TYPES = ['application/json', 'text/json', 'application/*+json'] as const;

/** Response media types, in the server's order of preference. */
export const RESPONSE_MEDIA_TYPES = ['application/json', 'text/json', 'text/plain'] as const;

/** One of {@link RESPONSE_MEDIA_TYPES}. */
export type ResponseMediaType = (typeof RESPONSE_MEDIA_TYPES)[number];

// An Accept header longer than this is not negotiated with: the default applies.
const MAX_ACCEPT_LENGTH = 1024;
const MAX_ACCEPT_RANGES = 32;

/** The bare media type of a Content-Type value, lower-cased, or undefined when absent. */
export function mediaTypeOf(contentType: string | undefined): string | undefined {
  if (contentType === undefined) return undefined;
  const type = contentType.split(';', 1)[0]?.trim().toLowerCase();
  return type === '' ? undefined : type;
}

/** Whether the request's Content-Type is one the route reads. */
export function isAcceptedRequestType(contentType: string | undefined): boolean {
  const type = mediaTypeOf(contentType);
  if (type === undefined) return false;
  return (
    type === 'application/json' ||
    type === 'text/json' ||
    /^application\/[\w.!#$&^-]+\+json$/.test(type)
  );
}

/**
 * Picks the response media type from `Accept`: the highest q wins, the caller's order breaks
 * ties, and a wildcard range (any type, or `text/*`) means the server's first type it covers. Like
 * ASP.NET Core's default, an Accept that matches nothing, or none at all, gets
 * `application/json` rather than a 406.
 */
export function negotiateResponseType(accept: string | undefined): ResponseMediaType {
  if (accept === undefined || accept.length > MAX_ACCEPT_LENGTH) return 'application/json';
  let best: { type: ResponseMediaType; q: number } | undefined;
  for (const range of accept.split(',').slice(0, MAX_ACCEPT_RANGES)) {
    const [name = '', ...parameters] = range.split(';');
    const pattern = name.trim().toLowerCase();
    const q = qualityOf(parameters);
    if (q <= 0) continue;
    for (const type of RESPONSE_MEDIA_TYPES) {
      if (!matches(pattern, type)) continue;
      if (best === undefined || q > best.q) best = { type, q };
      break;
    }
  }
  return best?.type ?? 'application/json';
}

function qualityOf(parameters: readonly string[]): number {
  for (const parameter of parameters) {
    const [key, value] = parameter.split('=', 2);
    if (key?.trim().toLowerCase() !== 'q') continue;
    const q = Number(value?.trim());
    return Number.isFinite(q) ? Math.min(Math.max(q, 0), 1) : 0;
  }
  return 1;
}

function matches(pattern: string, type: string): boolean {
  if (pattern === '*/*' || pattern === type) return true;
  const [major] = type.split('/', 1);
  return pattern === `${major}/*`;
}
