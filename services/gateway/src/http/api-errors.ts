import type { FastifyReply } from 'fastify';

/** Which documented API a route speaks: each has its own error shape. */
export type ApiFlavor = 'fusionauth' | 'neostore' | 'webmethods' | 'plain';

/** A failure described independently of its wire shape. */
export interface ApiProblem {
  readonly status: number;
  /** The request field at fault, in the API's own naming (`refreshToken`). */
  readonly field?: string;
  /** FusionAuth-style code, e.g. `[invalid]refreshToken`, `[TenantIdRequired]`. */
  readonly code?: string;
  readonly message: string;
  /** Send no body at all (FusionAuth documents empty 401/404/500 answers). */
  readonly empty?: boolean;
}

/** A problem to answer with, thrown from route code and rendered by the error handler. */
export class ApiError extends Error {
  readonly problem: ApiProblem;

  constructor(problem: ApiProblem) {
    super(problem.message);
    this.name = 'ApiError';
    this.problem = problem;
  }
}

const TITLES: Readonly<Record<number, string>> = {
  400: 'One or more validation errors occurred.',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not Found',
  413: 'Payload Too Large',
  415: 'Unsupported Media Type',
  500: 'An error occurred while processing your request.',
  501: 'Not Implemented',
  503: 'Service Unavailable',
  504: 'Gateway Timeout',
};

const WEBMETHODS_PREFIX = 'API Gateway encountered an error. Error Message: ';

/** Writes `problem` in the shape of `flavor`, always with a JSON content type. */
export function sendProblem(
  reply: FastifyReply,
  flavor: ApiFlavor,
  problem: ApiProblem,
  instance?: string,
): FastifyReply {
  reply.code(problem.status);
  switch (flavor) {
    case 'fusionauth': {
      // FusionAuth answers 401, 403, 404 and 5xx with an empty body; only 400 carries errors.
      if (problem.empty || problem.status !== 400) return reply.send();
      const code = problem.code ?? (problem.field ? `[invalid]${problem.field}` : '[invalid]');
      const body =
        problem.field !== undefined
          ? { fieldErrors: { [problem.field]: [{ code, message: problem.message }] } }
          : { generalErrors: [{ code, message: problem.message }] };
      return reply.type('application/json; charset=utf-8').send(body);
    }
    case 'neostore': {
      // RFC 9457 problem details, as ASP.NET Core writes them.
      const body: Record<string, unknown> = {
        type: 'about:blank',
        title: TITLES[problem.status] ?? 'Error',
        status: problem.status,
        detail: problem.message,
        ...(instance ? { instance } : {}),
      };
      if (problem.status === 400 && problem.field !== undefined)
        body.errors = { [problem.field]: [problem.message] };
      return reply.type('application/problem+json; charset=utf-8').send(body);
    }
    case 'webmethods':
      return reply
        .type('application/json; charset=utf-8')
        .send({ Exception: `${WEBMETHODS_PREFIX}${problem.message}` });
    case 'plain':
      return reply
        .type('application/json; charset=utf-8')
        .send({ error: problem.message, status: problem.status });
  }
}
