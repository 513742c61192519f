import { describeParameters } from '../../domain/parameter-docs';
import { OUTPUT_FORMATS } from '../../domain/variant-set';
import { ROUTES } from '../route-label';
import {
  REQUEST_ID,
  header,
  json,
  ref,
  type ContractOptions,
  type OpenApiDocument,
} from './document-parts';
import { HEADERS_TOO_LARGE, errorResponseComponents, errorResponses } from './error-responses';
import { schemas } from './schemas';

export type { ContractOptions, OpenApiDocument } from './document-parts';

function uploadOperation(options: ContractOptions, summary: string, ok: Record<string, unknown>) {
  const params = describeParameters(options.params);
  const fields = Object.fromEntries(
    Object.entries(params).map(([name, p]) => [
      name,
      { type: 'string', description: p.description },
    ]),
  );
  return {
    summary,
    security: options.authRequired ? [{ apiKey: [] }] : [],
    parameters: Object.entries(params).map(([name, p]) => ({
      name,
      in: 'query',
      required: false,
      description: p.description,
      schema: p.schema,
      example: p.example,
    })),
    requestBody: {
      required: true,
      description: `The image (JPEG, PNG, WebP, AVIF, GIF or TIFF, decided from its bytes), at most ${options.maxUploadBytes} bytes. Parameters go in the query, or as form fields before the file.`,
      content: {
        'multipart/form-data': { schema: { allOf: [ref('UploadForm'), { properties: fields }] } },
        'image/*': { schema: { type: 'string', format: 'binary' } },
        'application/octet-stream': { schema: { type: 'string', format: 'binary' } },
      },
    },
    responses: { ...ok, ...errorResponses('uploads', options) },
  };
}

/**
 * OPTIONS, on every path (and on paths the document does not list): the CORS preflight, answered
 * before the API key check and admission (src/http/cors.ts); errors only from nginx.
 */
const PREFLIGHT = {
  description: 'Allowed origins get Access-Control-Allow-* headers; others get none.',
  headers: { 'X-Request-Id': REQUEST_ID },
};
const preflight = (options: ContractOptions, path: string) => ({
  operationId: `preflight${path.replace(/(^|[^A-Za-z0-9]+)([A-Za-z0-9])/g, (_m, _s, c: string) => c.toUpperCase())}`,
  summary: 'CORS preflight',
  security: [],
  responses: {
    '204': { $ref: '#/components/responses/Preflight' },
    ...errorResponses('any', options),
  },
});

/** Every path answers OPTIONS the same way. */
function withPreflights(options: ContractOptions, paths: OpenApiDocument['paths']) {
  for (const [path, item] of Object.entries(paths)) item.options = preflight(options, path);
  return paths;
}

/** A GET answering 200 with `content` (or `more`), or one of the errors any request can get. */
const get = (
  options: ContractOptions,
  operationId: string,
  summary: string,
  content: unknown,
  more: Record<string, unknown> = {},
) => ({
  get: {
    operationId,
    summary,
    security: [],
    responses: {
      '200': { description: 'OK.', headers: { 'X-Request-Id': REQUEST_ID }, content },
      ...errorResponses('any', options),
      ...more,
    },
  },
});

/**
 * The service's contract as OpenAPI 3.1, built from the declarations the code runs on: routes,
 * parameters, the error table and this deployment's limits. Served at GET /openapi.json; the
 * tests check every response they get against it.
 */
export function buildOpenApiDocument(options: ContractOptions): OpenApiDocument {
  const variantHeaders = {
    'X-Request-Id': REQUEST_ID,
    ETag: header('Strong ETag of the image bytes.', { type: 'string' }),
    'X-Image-Width': header('Width of the image in pixels.', { type: 'integer', minimum: 1 }),
    'X-Image-Height': header('Height of the image in pixels.', { type: 'integer', minimum: 1 }),
    'Content-Length': header('Size of the image in bytes.', { type: 'integer', minimum: 1 }),
  };
  const stored = (description: string) => ({
    description,
    headers: { 'X-Request-Id': REQUEST_ID },
    content: json(ref('StoreResult')),
  });
  const binary = { type: 'string', format: 'binary' };
  return {
    openapi: '3.1.1',
    info: {
      title: 'image-resizer',
      version: options.version,
      license: { name: 'MIT', identifier: 'MIT' },
      description:
        'Upload an image; get it resized into one or more variants, stored in S3 (/v1/images) or ' +
        'returned (/v1/resize). Every error is JSON `{"error":{"code","message","requestId"}}` ' +
        'with a stable code (schema ErrorCode). Browsers: the deployment lists allowed origins in ' +
        'CORS_ALLOWED_ORIGINS; X-Request-Id, Retry-After, ETag and X-Image-* are exposed to them. ' +
        'Every path under /v1/ is behind the API key check and admission, so an unknown one can ' +
        'answer 401 or 503 before 404. OPTIONS answers 204 on any path (the CORS preflight).',
    },
    servers: [{ url: '/' }],
    paths: withPreflights(options, {
      [ROUTES.images]: {
        post: {
          operationId: 'storeVariants',
          ...uploadOperation(options, 'Make variants of an image and store them in S3', {
            '200': stored('Already stored (same bytes, same variants): nothing was made.'),
            '201': stored('Made and stored.'),
          }),
        },
      },
      [ROUTES.resize]: {
        post: {
          operationId: 'resize',
          ...uploadOperation(options, 'Make one variant and return it (nothing is stored)', {
            '200': {
              description: 'The image.',
              headers: variantHeaders,
              content: Object.fromEntries(
                OUTPUT_FORMATS.map((f) => [`image/${f}`, { schema: binary }]),
              ),
            },
          }),
        },
      },
      [ROUTES.healthz]: get(
        options,
        'liveness',
        'Liveness: the process serves (never checks S3)',
        json(ref('Health')),
      ),
      [ROUTES.readyz]: get(
        options,
        'readiness',
        'Readiness: S3 answers and the replica is not shutting down',
        json(ref('Readiness')),
        {
          '503': {
            description: 'Not ready: send no traffic here.',
            headers: { 'X-Request-Id': REQUEST_ID },
            content: json(ref('Readiness')),
          },
        },
      ),
      [ROUTES.openapi]: get(options, 'openapi', 'This document', json({ type: 'object' })),
      ...(options.referencePage && {
        [ROUTES.docs]: get(options, 'reference', 'This document as a web page (API_DOCS)', {
          'text/html': { schema: { type: 'string' } },
        }),
      }),
    }),
    components: {
      schemas: schemas(options),
      responses: {
        ...errorResponseComponents(options),
        HeadersTooLarge: HEADERS_TOO_LARGE,
        Preflight: PREFLIGHT,
      },
      ...(options.authRequired && {
        securitySchemes: {
          apiKey: { type: 'http', scheme: 'bearer', description: 'One of API_KEYS.' },
        },
      }),
    },
  };
}
