import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { BuildInfo } from './build-info';
import type { ParamContext } from './domain/parse-params';
import { requireApiKey } from './http/auth';
import { cors, type AllowedOrigins } from './http/cors';
import { buildOpenApiDocument } from './http/openapi/openapi-document';
import { apiDocsRoutes } from './http/routes/api-docs';
import { errorHandler, notFound } from './http/error-handler';
import { httpMetrics } from './http/metrics-middleware';
import type { UploadLimits } from './http/read-multipart';
import { admit, closeConnectionsWhile } from './http/admission';
import { requestLogging } from './http/request-logging';
import { healthRoutes } from './http/routes/health';
import { imageRoutes } from './http/routes/images';
import type { Metrics } from './observability/metrics';
import type { Capacity } from './capacity/capacity';
import type { UploadBuffers } from './capacity/upload-buffers';
import type { ImageService } from './service/image-service';
import type { Readiness } from './service/readiness';

export interface AppDeps {
  logger: Logger;
  registry: Registry;
  metrics: Metrics;
  service: ImageService;
  capacity: Capacity;
  uploadBuffers: UploadBuffers;
  readiness: Readiness;
  buildInfo: BuildInfo;
  params: ParamContext;
  limits: UploadLimits;
  /** Empty: /v1 is open. */
  apiKeys: readonly string[];
  /** REQUEST_DEADLINE_MS: fixed at admission, bounds everything the request does. */
  requestDeadlineMs: number;
  /** True once SIGTERM came: responses then close their connections. */
  draining: () => boolean;
  /** CORS_ALLOWED_ORIGINS: the browser pages that may call the API. */
  corsAllowedOrigins: AllowedOrigins;
  /** API_DOCS: serve the API reference page at /docs (the document is always served). */
  referencePage: boolean;
}

/** Builds the HTTP app from its dependencies. Never listens and never reads the environment. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  const openapi = buildOpenApiDocument({
    params: deps.params,
    maxUploadBytes: deps.limits.maxUploadBytes,
    authRequired: deps.apiKeys.length > 0,
    referencePage: deps.referencePage,
    version: deps.buildInfo.version,
  });
  // The contract this app answers by, for whoever holds the app (the tests check every
  // response against it).
  app.locals.openapi = openapi;
  app.disable('x-powered-by');
  app.disable('etag'); // JSON answers are per request; image ETags are set explicitly
  app.use(httpMetrics(deps.metrics));
  app.use(requestLogging(deps.logger));
  app.use(closeConnectionsWhile(deps.draining));
  app.use((_req, res, next) => {
    res.set({
      'X-Content-Type-Options': 'nosniff',
      'Content-Security-Policy': "default-src 'none'; frame-ancestors 'none'",
      'Cache-Control': 'no-store',
    });
    next();
  });
  // Before authentication and admission: a preflight carries no credentials and does no work.
  app.use(cors(deps.corsAllowedOrigins));
  // Probes and metrics stay open: orchestrators call them without credentials (nginx hides
  // /metrics from the outside). So does the contract: it holds no secret.
  app.use(healthRoutes(deps));
  app.use(apiDocsRoutes({ openapi, referencePage: deps.referencePage }));
  // Order matters: refuse unauthenticated requests, then overload, before reading any body.
  if (deps.apiKeys.length > 0) app.use('/v1', requireApiKey(deps.apiKeys));
  app.use('/v1', admit(deps.capacity, deps.requestDeadlineMs));
  app.use(imageRoutes(deps));
  app.use(notFound);
  app.use(errorHandler(deps.metrics));
  return app;
}
