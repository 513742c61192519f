import type { RequestHandler, Response } from 'express';
import { busy, clientClosed } from '../errors/app-error';
import type { JobLimiter } from '../service/job-limiter';
import type { RequestScope } from '../service/request-scope';

/** The scope fixed when the request was admitted (see admitAndTrack). */
export function requestScope(res: Response): RequestScope {
  const scope = (res.locals as { scope?: RequestScope }).scope;
  if (!scope) throw new Error('requestScope: the route is not behind admitAndTrack');
  return scope;
}

/**
 * Admission, deadline and cancellation for work routes. A request is admitted before its body is
 * read, or refused at once with 503 SERVER_BUSY (and the connection closed, so its body is never
 * read). An admitted request gets its one deadline (REQUEST_DEADLINE_MS from now) and a signal
 * that aborts when the client disconnects, so queued or remaining work is skipped.
 */
export function admitAndTrack(limiter: JobLimiter, deadlineMs: number): RequestHandler {
  return (_req, res, next) => {
    const release = limiter.tryAdmit();
    if (!release) throw busy('the server is at capacity; try again shortly');
    const controller = new AbortController();
    const scope: RequestScope = { deadline: Date.now() + deadlineMs, signal: controller.signal };
    (res.locals as { scope?: RequestScope }).scope = scope;
    res.once('close', () => {
      release();
      if (!res.writableFinished) controller.abort(clientClosed());
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
