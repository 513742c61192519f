import type { IncomingMessage } from 'node:http';

/**
 * The route pattern that served a request ("/v1/images"), for metrics labels and logs. Never the
 * raw URL: label values must stay few, whatever paths clients invent.
 */
export function routeOf(req: IncomingMessage): string {
  const express = req as IncomingMessage & { route?: { path?: unknown }; baseUrl?: string };
  const path = express.route?.path;
  return typeof path === 'string' ? `${express.baseUrl ?? ''}${path}` : 'unmatched';
}
