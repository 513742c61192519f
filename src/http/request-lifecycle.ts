import type { RequestHandler, Response } from 'express';
import { AppError } from '../errors/app-error';
import type { JobLimiter } from '../service/job-limiter';
import { busy } from '../service/waiting-line';

/** The AbortSignal of a request: aborted when the client goes away before its answer. */
export const requestSignal = (res: Response): AbortSignal | undefined =>
  (res.locals as { signal?: AbortSignal }).signal;

/**
 * Admission and cancellation for work routes. A request is admitted before its body is read,
 * or refused at once with 503 SERVER_BUSY (and the connection closed, so its body is never
 * read). When the client disconnects, the request's signal aborts so queued or remaining work
 * is skipped.
 */
export function admitAndTrack(limiter: JobLimiter): RequestHandler {
  return (_req, res, next) => {
    const release = limiter.tryAdmit();
    if (!release) throw busy('the server is at capacity; try again shortly');
    const controller = new AbortController();
    (res.locals as { signal?: AbortSignal }).signal = controller.signal;
    res.once('close', () => {
      release();
      if (!res.writableFinished) {
        controller.abort(new AppError('CLIENT_CLOSED_REQUEST', 'the client closed the connection'));
      }
    });
    next();
  };
}

/**
 * During shutdown every response, including those of requests that began before it, tells the
 * client (or nginx) not to reuse the connection, so a stopping replica sheds its keep-alive
 * connections as soon as their current response is sent. Checked when headers are written.
 */
export function closeConnectionsWhen(stopping: () => boolean): RequestHandler {
  return (_req, res, next) => {
    const writeHead = res.writeHead.bind(res) as (...args: unknown[]) => Response;
    res.writeHead = ((...args: unknown[]) => {
      if (stopping()) res.setHeader('Connection', 'close');
      return writeHead(...args);
    }) as typeof res.writeHead;
    next();
  };
}
