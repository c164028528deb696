import type { FastifyBodyParser, FastifyInstance } from 'fastify';

/**
 * The deepest JSON body the gateway reads. Every body goes through recursive code after it
 * is parsed (schema validation, `JSON.stringify` on the way to the issuer); a body nested a
 * hundred thousand levels would overflow the stack there and end in a 500. The issuer's own
 * claim depth limit (realm `limits.maxClaimsDepth`, at most 64) applies afterwards; this bound
 * leaves room for the envelope around the claims and only keeps the transport safe.
 */
export const MAX_JSON_DEPTH = 128;

/** Content types read as JSON: Neostore documents these beyond application/json. */
export const JSON_CONTENT_TYPES: readonly (string | RegExp)[] = [
  'application/json',
  'text/json',
  /^application\/[\w.+-]+\+json$/,
];

/**
 * Whether JSON text nests arrays and objects deeper than `maximum`. One pass over the text,
 * skipping strings, with no recursion and no parse: a deep body is refused before it costs
 * anything but reading it. Brackets of invalid JSON are counted too; the parse refuses it next.
 */
export function jsonNestsDeeperThan(text: string, maximum: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22 /* " */) {
      for (i++; i < text.length; i++) {
        const inner = text.charCodeAt(i);
        if (inner === 0x5c /* \ */) i++;
        else if (inner === 0x22) break;
      }
    } else if (ch === 0x5b /* [ */ || ch === 0x7b /* { */) {
      if (++depth > maximum) return true;
    } else if (ch === 0x5d /* ] */ || ch === 0x7d /* } */) {
      depth--;
    }
  }
  return false;
}

/** A body refused for its nesting: a 400 in the route's own format. */
export class JsonTooDeepError extends Error {
  override readonly name = 'JsonTooDeepError';
  /** Read by the error handler like any framework refusal. */
  readonly statusCode = 400;
  readonly code = 'TESSERA_JSON_TOO_DEEP';
  constructor(readonly maximum: number) {
    super(`the JSON body nests deeper than ${maximum} levels`);
  }
}

/**
 * Registers the gateway's one JSON parser for every JSON content type: the depth bound first,
 * then fastify's own parser (which refuses `__proto__` and `constructor.prototype` keys).
 */
export function registerJsonParser(app: FastifyInstance, maximum = MAX_JSON_DEPTH): void {
  const parse = app.getDefaultJsonParser('error', 'error');
  const parser: FastifyBodyParser<string | Buffer> = (request, body, done) => {
    const text = typeof body === 'string' ? body : body.toString('utf8');
    if (jsonNestsDeeperThan(text, maximum)) {
      done(new JsonTooDeepError(maximum), undefined);
      return;
    }
    parse(request, text, done);
  };
  app.removeContentTypeParser('application/json');
  for (const type of JSON_CONTENT_TYPES)
    app.addContentTypeParser(type, { parseAs: 'string' }, parser);
}
