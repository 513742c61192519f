import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { AppError } from '../errors/app-error';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * Bearer-token check for /v1/*. Tokens are compared as SHA-256 digests with timingSafeEqual,
 * against every key, so neither a key's length nor how much of it matched leaks through timing.
 * The token never appears in an error or a log line (the logger redacts Authorization).
 */
export function requireApiKey(keys: readonly string[]): RequestHandler {
  const known = keys.map(digest);
  const refuse = (message: string, error?: string) =>
    new AppError('UNAUTHORIZED', message, {
      headers: {
        'WWW-Authenticate': `Bearer realm="image-resizer"${error ? `, error="${error}"` : ''}`,
      },
    });

  return (req, _res, next) => {
    const header = req.headers.authorization;
    if (!header) throw refuse('an API key is required: Authorization: Bearer <key>');
    const token = /^Bearer +(\S+) *$/i.exec(header)?.[1];
    if (!token) throw refuse('use Authorization: Bearer <key>', 'invalid_request');
    const offered = digest(token);
    let ok = false;
    for (const key of known) ok = timingSafeEqual(offered, key) || ok;
    if (!ok) throw refuse('the API key is not valid', 'invalid_token');
    next();
  };
}
