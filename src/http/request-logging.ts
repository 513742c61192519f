import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { answeredError } from './error-handler';
import { ROUTES, routeOf } from './route-label';

function errorFields(res: ServerResponse) {
  const error = answeredError(res);
  return error ? { errorCode: error.code, errorMessage: error.message } : {};
}

// An incoming id is kept only if it is short and plain, so a client cannot inject text into
// log lines or response headers through it.
const SAFE_REQUEST_ID = /^[A-Za-z0-9._:-]{1,128}$/;
const PROBES: ReadonlySet<string> = new Set([ROUTES.healthz, ROUTES.readyz, ROUTES.metrics]);

export function requestLogging(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId(req: IncomingMessage, res: ServerResponse) {
      const incoming = req.headers['x-request-id'];
      const id =
        typeof incoming === 'string' && SAFE_REQUEST_ID.test(incoming) ? incoming : randomUUID();
      res.setHeader('X-Request-Id', id);
      return id;
    },
    // The route is known only once the router has matched, so it goes on the completion line
    // alone. Not customProps: pino-http binds those when the request starts ("unmatched") and
    // again when it ends, and the line then carries "route" twice.
    // An error answer names its code and message too: an operator reads why from the log line.
    customSuccessObject: (req, res, val: object) => ({
      ...val,
      route: routeOf(req),
      ...errorFields(res),
    }),
    customErrorObject: (req, res, _err, val: object) => ({
      ...val,
      route: routeOf(req),
      ...errorFields(res),
    }),
    // Probes hit every replica every few seconds; at info level they would drown the real traffic.
    customLogLevel(req, res, err) {
      if (err || res.statusCode >= 500) return 'error';
      if (res.statusCode >= 400) return 'warn';
      return PROBES.has(req.url?.split('?')[0] ?? '') ? 'debug' : 'info';
    },
    serializers: {
      req: (req: {
        id: unknown;
        method: string;
        url: string;
        headers: Record<string, unknown>;
      }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        headers: {
          'user-agent': req.headers['user-agent'],
          'content-type': req.headers['content-type'],
          'content-length': req.headers['content-length'],
        },
      }),
    },
  });
}
