import { Router } from 'express';
import { renderApiReference } from '../openapi/reference-page';
import type { OpenApiDocument } from '../openapi/openapi-document';
import { ROUTES } from '../route-label';

export interface ApiDocsDeps {
  openapi: OpenApiDocument;
  /** API_DOCS: serve the human-readable page too (a production may turn it off). */
  referencePage: boolean;
}

/** The contract, open to anyone who can reach the service: it holds no secret. */
export function apiDocsRoutes({ openapi, referencePage }: ApiDocsDeps): Router {
  const router = Router();
  const body = JSON.stringify(openapi);
  router.get(ROUTES.openapi, (_req, res) => {
    res.type('application/json').set('Cache-Control', 'no-cache').send(body);
  });
  if (referencePage) {
    const page = renderApiReference(openapi);
    router.get(ROUTES.docs, (_req, res) => {
      res
        .type('text/html')
        .set({
          'Cache-Control': 'no-cache',
          'Content-Security-Policy':
            "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'",
        })
        .send(page);
    });
  }
  return router;
}
