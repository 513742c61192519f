import type { RequestHandler } from 'express';
import type { Metrics } from '../observability/metrics';
import { routeOf } from './route-label';

export function httpMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer({ method: req.method });
    res.once('finish', () => end({ route: routeOf(req), status_code: String(res.statusCode) }));
    next();
  };
}
