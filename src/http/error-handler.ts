import type { ServerResponse } from 'node:http';
import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError } from '../errors/app-error';
import type { Metrics } from '../observability/metrics';
import { lingerBeforeClose } from './node-internals';

function toAppError(err: unknown): AppError {
  if (err instanceof AppError) return err;
  // Errors raised by Express itself for malformed requests (bad URL encoding and the like).
  const status = (err as { status?: unknown } | null)?.status;
  if (status === 400) return new AppError('MALFORMED_REQUEST', 'malformed request', { cause: err });
  return new AppError('INTERNAL_ERROR', 'internal error', { cause: err });
}

export const notFound: RequestHandler = (req) => {
  throw new AppError('NOT_FOUND', `no route for ${req.method} ${req.path.slice(0, 200)}`);
};

const ERROR = Symbol('the error a response answered');

/** The code and message a response answered with, if it was an error: for the request's log line. */
export const answeredError = (res: ServerResponse): { code: string; message: string } | undefined =>
  (res as ServerResponse & { [ERROR]?: AppError })[ERROR];

/** The one place errors become responses: `{ error: { code, message, requestId } }`. */
export const errorHandler =
  (metrics: Metrics): ErrorRequestHandler =>
  (err, req, res, next) => {
    const appError = toAppError(err);
    metrics.requestsRejected.inc({ code: appError.code });
    (res as typeof res & { [ERROR]?: AppError })[ERROR] = appError;
    if (appError.status >= 500) {
      // pino-http attaches res.err to the request's log line (with the cause chain).
      res.err = appError.cause instanceof Error ? appError.cause : appError;
    }
    if (res.headersSent) return next(err);
    if (!req.complete) {
      // Answered before the body was read: don't read it, and don't let a reset eat the answer.
      res.set('Connection', 'close');
      lingerBeforeClose(req);
    }
    res
      .status(appError.status)
      .set(appError.headers)
      .json({ error: { code: appError.code, message: appError.message, requestId: req.id } });
  };
