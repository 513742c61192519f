import { createServer, type RequestListener, type Server } from 'node:http';
import type { Config } from '../config/config';

/**
 * The HTTP server with its timeouts. Slow clients: headers must arrive within headersTimeout
 * and the whole request within requestTimeout (a backstop: the upload reader answers 408 JSON
 * first). Node checks these every 30 s by default; every second makes the bounds real.
 */
export function createHttpServer(
  app: RequestListener,
  http: Config['http'],
  requestDeadlineMs: number,
): Server {
  return createServer(
    {
      headersTimeout: http.headersTimeoutMs,
      // A request may wait for upload memory before its body is read (up to its deadline), so
      // the backstop covers the longer of the two; the app answers first, with JSON.
      requestTimeout: Math.max(http.requestTimeoutMs, requestDeadlineMs) + 1000,
      connectionsCheckingInterval: 1000,
      keepAliveTimeout: http.keepAliveTimeoutMs,
    },
    app,
  );
}
