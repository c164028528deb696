import type { OutgoingHttpHeaders, ServerResponse } from 'node:http';

/** Answers with a status and no body (`content-length: 0`), plus `headers`. */
export function sendEmpty(
  response: ServerResponse,
  status: number,
  headers: OutgoingHttpHeaders = {},
): void {
  response.writeHead(status, { ...headers, 'content-length': 0 });
  response.end();
}

/** Answers with a JSON body, typed as fastify types it (`application/json; charset=utf-8`). */
export function sendJson(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': 'application/json; charset=utf-8',
    'content-length': Buffer.byteLength(text),
  });
  response.end(text);
}
