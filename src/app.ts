import express, { type Express } from 'express';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { BuildInfo } from './build-info';
import type { ParamContext } from './domain/parse-params';
import { errorHandler, notFound } from './http/error-handler';
import { httpMetrics } from './http/metrics-middleware';
import type { UploadLimits } from './http/read-upload';
import { requestLogging } from './http/request-logging';
import { healthRoutes } from './http/routes/health';
import { imageRoutes } from './http/routes/images';
import type { Metrics } from './observability/metrics';
import type { ImageService } from './service/image-service';
import type { Readiness } from './service/readiness';

export interface AppDeps {
  logger: Logger;
  registry: Registry;
  metrics: Metrics;
  service: ImageService;
  readiness: Readiness;
  buildInfo: BuildInfo;
  params: ParamContext;
  limits: UploadLimits;
}

/** Builds the HTTP app from its dependencies. Never listens and never reads the environment. */
export function createApp(deps: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  app.use(httpMetrics(deps.metrics));
  app.use(requestLogging(deps.logger));
  app.use((_req, res, next) => {
    res.set('X-Content-Type-Options', 'nosniff');
    next();
  });
  app.use(healthRoutes(deps));
  app.use(imageRoutes(deps));
  app.use(notFound);
  app.use(errorHandler);
  return app;
}
