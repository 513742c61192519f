import type { IncomingMessage } from 'node:http';

/**
 * Every route path the service serves, declared once: the routers mount these, and they are the
 * only values, with "unmatched", a route label takes.
 */
export const ROUTES = {
  images: '/v1/images',
  resize: '/v1/resize',
  healthz: '/healthz',
  readyz: '/readyz',
  metrics: '/metrics',
  openapi: '/openapi.json',
  docs: '/docs',
} as const;

export type RoutePath = (typeof ROUTES)[keyof typeof ROUTES];

export const ROUTE_PATHS: readonly RoutePath[] = Object.values(ROUTES);

const KNOWN: ReadonlySet<string> = new Set(ROUTE_PATHS);

/**
 * The path as Express compares it to a route: without the query, in lower case (Express matches
 * case-insensitively) and without one trailing slash (Express ignores it).
 */
function normalisedPath(url: string): string {
  const path = url.split('?', 1)[0]!.toLowerCase();
  return path.length > 1 && path.endsWith('/') ? path.slice(0, -1) : path;
}

/**
 * The route pattern that served a request ("/v1/images"), for metrics labels and logs. Never the
 * raw URL: label values must stay few, whatever paths clients invent.
 *
 * Middleware in front of the routers (the API-key check, admission) answers before any route
 * has matched; its 401s and 503s still belong to the route the client asked for, not to the
 * "unmatched" of 404 scanners, so a known path names its route even then.
 */
export function routeOf(req: IncomingMessage): string {
  const express = req as IncomingMessage & {
    route?: { path?: unknown };
    baseUrl?: string;
    originalUrl?: string;
  };
  const path = express.route?.path;
  if (typeof path === 'string') return `${express.baseUrl ?? ''}${path}`;
  // originalUrl: a router mounted on '/v1' rewrites req.url while the request passes through it.
  const asked = normalisedPath(express.originalUrl ?? req.url ?? '');
  return KNOWN.has(asked) ? asked : 'unmatched';
}
