import { Router } from 'express';
import type { Registry } from 'prom-client';
import type { BuildInfo } from '../../build-info';
import type { Readiness } from '../../service/readiness';
import { ROUTES } from '../route-label';

export interface HealthRoutesDeps {
  buildInfo: BuildInfo;
  readiness: Readiness;
  registry: Registry;
}

export function healthRoutes({ buildInfo, readiness, registry }: HealthRoutesDeps): Router {
  const router = Router();

  // Liveness: the process is up and serving. Never checks dependencies, or an S3 outage would
  // make the orchestrator restart every healthy replica.
  router.get(ROUTES.healthz, (_req, res) => {
    res.json({ status: 'ok', version: buildInfo.version, revision: buildInfo.revision });
  });

  // Readiness: send traffic here only when storage answers and we are not shutting down.
  router.get(ROUTES.readyz, async (_req, res) => {
    const ready = await readiness.check();
    res.status(ready ? 200 : 503).json({ status: ready ? 'ready' : 'not_ready' });
  });

  router.get(ROUTES.metrics, async (_req, res) => {
    res.set('Content-Type', registry.contentType).send(await registry.metrics());
  });

  return router;
}
