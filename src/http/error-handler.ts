import type { ErrorRequestHandler, RequestHandler } from 'express';
import { AppError, isAppError } from '../errors/app-error';

function toAppError(err: unknown): AppError {
  if (isAppError(err)) return err;
  // Errors raised by Express itself for malformed requests (bad URL encoding and the like).
  const status = (err as { status?: unknown } | null)?.status;
  if (status === 400) return new AppError('MALFORMED_REQUEST', 'malformed request', { cause: err });
  return new AppError('INTERNAL_ERROR', 'internal error', { cause: err });
}

export const notFound: RequestHandler = (req) => {
  throw new AppError('NOT_FOUND', `no route for ${req.method} ${req.path.slice(0, 200)}`);
};

/** The one place errors become responses: `{ error: { code, message, requestId } }`. */
export const errorHandler: ErrorRequestHandler = (err, req, res, next) => {
  const appError = toAppError(err);
  if (appError.status >= 500) {
    // pino-http attaches res.err to the request's log line (with the cause chain).
    res.err = appError.cause instanceof Error ? appError.cause : appError;
  }
  if (res.headersSent) return next(err);
  res
    .status(appError.status)
    .set(appError.headers)
    .json({ error: { code: appError.code, message: appError.message, requestId: req.id } });
};
