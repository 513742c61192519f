import type { RequestHandler } from 'express';

/** CORS_ALLOWED_ORIGINS: '*' (any page), or exact origins; empty: no cross-origin access. */
export type AllowedOrigins = '*' | readonly string[];

// Browsers cap the preflight cache (Chromium: 2 h, Firefox: 24 h): ask for the most either keeps.
const PREFLIGHT_MAX_AGE_S = 7200;
// What a page needs to read: the request id (to quote in a bug report), when to retry, and the
// resize answer's image facts. Content-Type and Content-Length are readable anyway. nginx's
// template lists the same for its own errors (test/unit/edge-invariants.test.ts).
export const EXPOSED_HEADERS = [
  'X-Request-Id',
  'Retry-After',
  'ETag',
  'X-Image-Width',
  'X-Image-Height',
];
const ALLOWED_HEADERS = ['Authorization', 'Content-Type', 'X-Request-Id'];
const ALLOWED_METHODS = ['GET', 'POST'];

/**
 * Cross-origin access for browser pages, before authentication and admission. The headers are set on
 * every response before it is made, errors included, so a page reads the service's error message
 * instead of a bare "CORS failure". nginx adds the same headers to the errors it answers itself
 * (nginx/templates), from the same variable.
 */
export function cors(allowed: AllowedOrigins): RequestHandler {
  const any = allowed === '*';
  const known = new Set(any ? [] : allowed);
  return (req, res, next) => {
    const origin = req.headers.origin;
    // '*' answers every request alike, Origin or not; otherwise the answer depends on Origin,
    // and a shared cache must know it.
    if (!any) res.vary('Origin');
    const ok = any || (origin !== undefined && known.has(origin));
    if (ok) {
      res.set('Access-Control-Allow-Origin', any ? '*' : origin);
      res.set('Access-Control-Expose-Headers', EXPOSED_HEADERS.join(', '));
    }
    if (req.method !== 'OPTIONS') return next();
    // Every OPTIONS is answered here, for any path: a preflight never needs an API key (browsers
    // send none with it) and does no work, so neither the key check nor admission sees it. A
    // refused origin gets the same 204 without the allow headers: the browser then blocks the
    // request, and nothing tells a probe which origins are allowed.
    if (ok && req.headers['access-control-request-method'] !== undefined) {
      res.set({
        'Access-Control-Allow-Methods': ALLOWED_METHODS.join(', '),
        'Access-Control-Allow-Headers': ALLOWED_HEADERS.join(', '),
        'Access-Control-Max-Age': String(PREFLIGHT_MAX_AGE_S),
      });
    }
    res.status(204).end();
  };
}
