/**
 * A typed client for image-resizer: uploads an image and prints the stored variants. The types
 * come from the service's OpenAPI document (docs/openapi.json) through openapi-typescript, so a
 * renamed field or a new error code breaks this file's typecheck, not a user's upload.
 *
 *   npx tsx examples/typed-client/upload.ts <base-url> <image-file> [widths] [format]
 *   npx tsx examples/typed-client/upload.ts http://localhost:8080 photo.jpg 320,640 webp
 *
 * API_KEY in the environment is sent as a bearer token (deployments with API_KEYS need one).
 */
import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import type { components, operations } from './api-types';

type StoreQuery = NonNullable<operations['storeVariants']['parameters']['query']>;
type StoreResult = components['schemas']['StoreResult'];
type ApiError = components['schemas']['Error'];
type ErrorCode = components['schemas']['ErrorCode'];

/** Codes a client handles differently from "give up": the same request may succeed later. */
const RETRYABLE: readonly ErrorCode[] = [
  'SERVER_BUSY',
  'STORAGE_UNAVAILABLE',
  'RATE_LIMITED',
  'BAD_GATEWAY',
];

export class ImageResizerError extends Error {
  constructor(
    readonly status: number,
    readonly code: ErrorCode,
    message: string,
    readonly requestId: string,
    readonly retryAfterS?: number,
  ) {
    super(`${status} ${code}: ${message} (request ${requestId})`);
  }
  get retryable() {
    return RETRYABLE.includes(this.code);
  }
}

export async function storeVariants(
  baseUrl: string,
  image: Blob,
  fileName: string,
  query: StoreQuery,
  apiKey?: string,
): Promise<StoreResult> {
  // Relative to the base, so a service mounted under a path prefix works too.
  const url = new URL('v1/images', baseUrl.replace(/\/*$/, '/'));
  for (const [name, value] of Object.entries(query)) {
    if (value !== undefined) url.searchParams.set(name, String(value));
  }
  const form = new FormData();
  form.set('image', image, fileName);
  const res = await fetch(url, {
    method: 'POST',
    body: form,
    headers: apiKey ? { Authorization: `Bearer ${apiKey}` } : {},
  });
  if (res.status === 200 || res.status === 201) return (await res.json()) as StoreResult;
  // Every error, the app's or nginx's, is this JSON shape: anything else is not the service.
  const body = (await res.json().catch(() => undefined)) as ApiError | undefined;
  if (!body?.error) throw new Error(`unexpected ${res.status} answer from ${url.origin}`);
  const retryAfter = Number(res.headers.get('retry-after') ?? Number.NaN);
  throw new ImageResizerError(
    res.status,
    body.error.code,
    body.error.message,
    body.error.requestId,
    Number.isFinite(retryAfter) ? retryAfter : undefined,
  );
}

async function main() {
  const [baseUrl, file, widths = '320,640', format = 'original'] = process.argv.slice(2);
  if (!baseUrl || !file) {
    console.error('usage: upload.ts <base-url> <image-file> [widths] [format]');
    process.exit(2);
  }
  const bytes = await readFile(file);
  try {
    const result = await storeVariants(
      baseUrl,
      new Blob([bytes]),
      basename(file),
      { widths, format: format as StoreQuery['format'] },
      process.env.API_KEY,
    );
    const { source } = result;
    console.log(
      `${result.deduplicated ? 'already stored' : 'stored'} ${result.id.slice(0, 12)}: ` +
        `${source.format} ${source.width}x${source.height}, ${source.bytes} bytes`,
    );
    for (const v of result.variants) {
      console.log(`  ${v.width}x${v.height} ${v.format} ${v.bytes} bytes  ${v.url ?? v.key}`);
    }
  } catch (err) {
    if (!(err instanceof ImageResizerError)) throw err;
    console.error(err.message + (err.retryable ? `; retry in ${err.retryAfterS ?? 1} s` : ''));
    process.exit(1);
  }
}

if (require.main === module) void main();
