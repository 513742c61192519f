import { createServer, type RequestListener, type Server } from 'node:http';
import type { Config } from '../config/config';

/**
 * The HTTP server with its timeouts. Slow clients: headers must arrive within headersTimeout
 * and the whole request within requestTimeout (a backstop: the upload reader answers 408 JSON
 * first). Node checks these every 30 s by default; every second makes the bounds real.
 */
export function createHttpServer(app: RequestListener, http: Config['http']): Server {
  return createServer(
    {
      headersTimeout: http.headersTimeoutMs,
      requestTimeout: http.requestTimeoutMs + 1000,
      connectionsCheckingInterval: 1000,
      keepAliveTimeout: http.keepAliveTimeoutMs,
    },
    app,
  );
}
