import type { RequestHandler, Response } from 'express';
import type { Capacity } from '../capacity/capacity';
import { newScope, type RequestScope } from '../capacity/request-scope';
import { busy, clientClosed } from '../errors/app-error';
import { beforeWriteHead } from './node-internals';

const SCOPE = Symbol('request scope');

/** The scope fixed when the request was admitted (see `admit`). */
export function requestScope(res: Response): RequestScope {
  const scope = (res.locals as { [SCOPE]?: RequestScope })[SCOPE];
  if (!scope) throw new Error('requestScope: the route is not behind admit()');
  return scope;
}

/**
 * Admission, the HTTP side of capacity: a work request is admitted before its body is read, or
 * refused at once with 503 SERVER_BUSY (and the connection closed, so its body is never read).
 * An admitted request gets its one deadline (REQUEST_DEADLINE_MS from now) and a signal that
 * aborts when the client disconnects, so its queued or remaining work is skipped.
 */
export function admit(capacity: Pick<Capacity, 'admit'>, deadlineMs: number): RequestHandler {
  return (_req, res, next) => {
    const release = capacity.admit();
    if (!release) throw busy('the server is at capacity; try again shortly');
    const controller = new AbortController();
    const scope = newScope(deadlineMs, controller.signal);
    (res.locals as { [SCOPE]?: RequestScope })[SCOPE] = scope;
    res.once('close', () => {
      release();
      if (!res.writableFinished) controller.abort(clientClosed());
    });
    next();
  };
}

/**
 * While the process drains, every response, including those of requests that began before,
 * tells the client (or nginx) not to reuse the connection, so a stopping replica sheds its
 * keep-alive connections as soon as their current response is sent.
 */
export function closeConnectionsWhile(draining: () => boolean): RequestHandler {
  return (_req, res, next) => {
    beforeWriteHead(res, () => {
      if (draining()) res.setHeader('Connection', 'close');
    });
    next();
  };
}
