import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifySwagger from '@fastify/swagger';
import fastifySwaggerUi from '@fastify/swagger-ui';
import { isTesseraError } from '@tessera/errors';
import type { Logger } from '@tessera/logger';
import type { Tracing } from '@tessera/tracing';
import Fastify, {
  type FastifyBaseLogger,
  type FastifyError,
  type FastifyInstance,
  LogController,
} from 'fastify';
import type { Registry } from 'prom-client';
import type { GatewayContext } from './gateway-context.js';
import { ApiError, type ApiFlavor, sendProblem } from './http/api-errors.js';
import { registerHttpMetrics } from './http/http-metrics.js';
import { registerJsonParser } from './http/json-body.js';
import { REQUEST_ID_HEADER, requestIdOf } from './http/request-id.js';
import { nameSpansByRoute, tracedServerFactory } from './http/request-tracing.js';
import { registerRoutes } from './routes/index.js';

declare module 'fastify' {
  interface FastifyContextConfig {
    /** The documented API a route speaks; decides the shape of its errors. */
    api?: ApiFlavor;
  }
}

/** Options of {@link buildGateway}. */
export interface GatewayOptions {
  readonly context: GatewayContext;
  readonly logger: Logger;
  /** Where the HTTP metrics go; served on the management port, not by this server. */
  readonly registry: Registry;
  readonly bodyLimitBytes: number;
  /**
   * Proxies whose X-Forwarded-* headers are believed (addresses, CIDR ranges, or range names);
   * none by default.
   */
  readonly trustedProxies?: readonly string[];
  /** Whether the backends and the local validator are ready (for /readyz). */
  readonly ready: () => Promise<boolean>;
  /** A server span per request, continuing the caller's `traceparent`; off when omitted. */
  readonly tracing?: Tracing;
}

/**
 * The REST gateway: fastify with the three documented APIs, discovery documents and health
 * probes (its metrics are served apart, on the management port). Every failure leaves in the shape of the API the route speaks (FusionAuth errors
 * JSON, RFC 9457 problem details, webMethods' Exception); nothing unexpected is described to
 * the caller, and nothing is a crash.
 */
export async function buildGateway(options: GatewayOptions): Promise<FastifyInstance> {
  const tracing = options.tracing?.enabled ? options.tracing : undefined;
  const app = Fastify({
    ...(tracing ? { serverFactory: tracedServerFactory(tracing) } : {}),
    // pino's own Logger is what fastify runs on; the two declarations differ only in generics.
    loggerInstance: options.logger as FastifyBaseLogger,
    // Request URLs carry tokens (`?token=`, `?refreshToken=`): the default request lines would
    // log them. One line per request is written below, with the route pattern only.
    logController: new LogController({ disableRequestLogging: true }),
    // No per-request child logger: its bindings would pass through the redaction rules on
    // every request, which costs more than a cached validation. Lines name `reqId` themselves.
    childLoggerFactory: (logger) => logger,
    bodyLimit: options.bodyLimitBytes,
    // The caller's X-Request-Id when well-formed, else a UUID (never fastify's per-process
    // counter, which collides across replicas); http/request-id.ts says why and where it goes.
    requestIdHeader: false,
    genReqId: (request) => requestIdOf(request.headers[REQUEST_ID_HEADER]),
    // X-Forwarded-Proto decides whether login cookies are Secure (and X-Forwarded-Host a base
    // URL): believed only from the proxies the operator named, never from any client.
    trustProxy:
      options.trustedProxies !== undefined && options.trustedProxies.length > 0
        ? [...options.trustedProxies]
        : false,
    routerOptions: { maxParamLength: 512 },
    return503OnClosing: true,
    forceCloseConnections: 'idle',
    ajv: { customOptions: { removeAdditional: false, coerceTypes: 'array', allErrors: false } },
  });

  if (tracing) nameSpansByRoute(app, tracing);
  registerJsonParser(app);
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody, { bodyLimit: options.bodyLimitBytes });
  await app.register(fastifySwagger, {
    openapi: {
      openapi: '3.1.0',
      info: {
        title: 'tessera REST gateway',
        version: '1',
        description:
          "FusionAuth's JWT API, Neostore's tokens/generate and webMethods' getJsonWebToken over tessera.",
      },
      components: {
        securitySchemes: {
          apiKey: { type: 'apiKey', in: 'header', name: 'Authorization' },
          bearer: { type: 'http', scheme: 'bearer', bearerFormat: 'JWT' },
          neostoreApiKey: { type: 'apiKey', in: 'header', name: 'X-API-KEY' },
          webMethodsApiKey: { type: 'apiKey', in: 'header', name: 'x-Gateway-APIKey' },
        },
      },
    },
  });
  // `/docs`: an interactive page over the same OpenAPI document as `/openapi.json`, for legacy
  // REST users. Its assets are served by the gateway itself (no CDN) under a strict CSP.
  await app.register(fastifySwaggerUi, {
    routePrefix: '/docs',
    staticCSP: true,
    uiConfig: { deepLinking: true, tryItOutEnabled: false },
  });
  registerHttpMetrics(app, options.registry);
  app.addHook('onRequest', async (request, reply) => {
    reply.header(REQUEST_ID_HEADER, request.id);
  });

  app.addHook('onResponse', async (request, reply) => {
    const level = reply.statusCode >= 500 ? 'error' : 'debug';
    if (!options.logger.isLevelEnabled(level)) return;
    request.log[level](
      {
        reqId: request.id,
        route: request.routeOptions.url ?? 'unmatched',
        method: request.method,
        status: reply.statusCode,
        duration_ms: Math.round(reply.elapsedTime * 1000) / 1000,
      },
      'request finished',
    );
  });

  app.setErrorHandler((error: FastifyError, request, reply) => {
    const flavor: ApiFlavor = request.routeOptions.config?.api ?? 'plain';
    if (error instanceof ApiError)
      return sendProblem(reply, flavor, error.problem, request.url.split('?')[0]);
    // The local validator before its first keys and revocations: retry, not a server fault.
    if (isTesseraError(error, 'UNAVAILABLE'))
      return sendProblem(reply, flavor, { status: 503, message: error.message });
    if (error.validation) {
      const first = error.validation[0];
      const path = first?.instancePath?.replace(/^\//, '').replaceAll('/', '.') || undefined;
      const missing =
        first?.keyword === 'required' ? String(first.params?.missingProperty ?? '') : undefined;
      const field =
        missing || path || (error.validationContext === 'querystring' ? undefined : undefined);
      return sendProblem(reply, flavor, {
        status: 400,
        ...(field ? { field } : {}),
        ...(field ? { code: `[${missing ? 'missing' : 'invalid'}]${field}` } : {}),
        message: `${error.validationContext ?? 'request'}${path ? `.${path}` : ''} ${first?.message ?? 'is invalid'}`,
      });
    }
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500) {
      // Framework refusals: malformed JSON, unsupported media type, body too large, …
      return sendProblem(reply, flavor, { status, message: clientMessage(error) });
    }
    request.log.error({ err: error }, 'unexpected error');
    return sendProblem(reply, flavor, {
      status: 500,
      message: 'the request could not be completed',
      empty: true,
    });
  });

  app.setNotFoundHandler((request, reply) =>
    sendProblem(reply, 'plain', {
      status: 404,
      message: `no route ${request.method} ${request.url.split('?')[0]}`,
    }),
  );

  await registerRoutes(app, options.context, { ready: options.ready });
  return app;
}

function clientMessage(error: FastifyError): string {
  switch (error.code) {
    case 'FST_ERR_CTP_INVALID_MEDIA_TYPE':
      return 'unsupported content type';
    case 'FST_ERR_CTP_BODY_TOO_LARGE':
      return 'the request body is too large';
    case 'TESSERA_JSON_TOO_DEEP':
      return error.message;
    case 'FST_ERR_CTP_EMPTY_JSON_BODY':
      return 'the JSON body is empty';
    case 'FST_ERR_CTP_INVALID_JSON_BODY':
    case 'FST_ERR_CTP_INVALID_CONTENT_LENGTH':
      return 'the request body is not valid JSON';
    default:
      return error.statusCode === 400 ? 'the request is malformed' : error.message;
  }
}
