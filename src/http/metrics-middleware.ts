import type { RequestHandler } from 'express';
import { errorCodes } from '../errors/app-error';
import type { Metrics } from '../observability/metrics';
import { routeOf } from './route-label';

// nginx's code for "the client went away first", as the app's CLIENT_CLOSED_REQUEST.
const CLIENT_CLOSED = String(errorCodes.CLIENT_CLOSED_REQUEST.status);

export function httpMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const end = metrics.httpDuration.startTimer({ method: req.method });
    // 'close', not 'finish': a request whose client disconnected never finishes, and leaving it
    // out would hide exactly the slow requests clients gave up on.
    res.once('close', () => {
      const status = res.writableFinished ? String(res.statusCode) : CLIENT_CLOSED;
      end({ route: routeOf(req), status_code: status });
    });
    next();
  };
}
