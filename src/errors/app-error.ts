/** Which requests can get a code: the upload routes, any request, or none (logs and metrics only). */
export type ErrorScope = 'uploads' | 'any' | 'none';

interface ErrorCodeSpec {
  status: number;
  /** When a client gets it: the API reference's error table (GET /openapi.json, /docs). */
  when: string;
  scope: ErrorScope;
  /** Answered by nginx in front of the replicas, never by the app (nginx/templates). */
  edge?: true;
  /** Sent with Retry-After: waiting and retrying the same request is safe and expected. */
  retryAfter?: true;
}

/**
 * The one error family of the service. Every failure a client can see is an AppError with an
 * HTTP status and a stable machine-readable code; the error handler turns it into
 * `{ error: { code, message, requestId } }`. Codes are part of the API: never rename one. This
 * table is the only list: the OpenAPI document, its error table and nginx's bodies (a test keeps
 * them in step) derive from it.
 */
export const errorCodes = {
  INVALID_PARAMETER: {
    status: 400,
    scope: 'uploads',
    when: 'a parameter has a bad value (the message names it)',
  },
  UNKNOWN_PARAMETER: {
    status: 400,
    scope: 'uploads',
    when: 'a parameter the service does not know (a typo must not silently make another image)',
  },
  MISSING_FILE: { status: 400, scope: 'uploads', when: 'no image in the request' },
  TOO_MANY_FILES: { status: 400, scope: 'uploads', when: 'more than one file in the form' },
  UNEXPECTED_FIELD: {
    status: 400,
    scope: 'uploads',
    when: 'a file in a form field other than "image"',
  },
  TOO_MANY_PARTS: {
    status: 400,
    scope: 'uploads',
    when: 'a form with more parts or fields than a request needs',
  },
  MALFORMED_REQUEST: {
    status: 400,
    scope: 'any',
    when: 'a request that is not valid HTTP, or a cut-off or malformed form',
  },
  UNAUTHORIZED: {
    status: 401,
    scope: 'uploads',
    when: 'the deployment requires an API key and none or a wrong one was sent',
  },
  PRESET_REQUIRED: {
    status: 403,
    scope: 'uploads',
    when: 'the deployment only makes its presets (ONLY_PRESETS) and none was named',
  },
  NOT_FOUND: { status: 404, scope: 'any', when: 'no such route (or not with this method)' },
  REQUEST_TIMEOUT: { status: 408, scope: 'any', when: 'the upload did not arrive in time' },
  PAYLOAD_TOO_LARGE: { status: 413, scope: 'any', when: 'the upload is larger than the limit' },
  UNSUPPORTED_MEDIA_TYPE: {
    status: 415,
    scope: 'uploads',
    when: 'the body is neither multipart/form-data nor image/* or application/octet-stream',
  },
  UNSUPPORTED_IMAGE_FORMAT: {
    status: 415,
    scope: 'uploads',
    when: 'the bytes are not a JPEG, PNG, WebP, AVIF, GIF or TIFF',
  },
  EMPTY_IMAGE: { status: 422, scope: 'uploads', when: 'the file is empty' },
  UNREADABLE_IMAGE: { status: 422, scope: 'uploads', when: 'the image is corrupt or cut off' },
  IMAGE_TOO_LARGE: {
    status: 422,
    scope: 'uploads',
    when: 'the image has more pixels than MAX_INPUT_PIXELS',
  },
  TOO_MANY_FRAMES: {
    status: 422,
    scope: 'uploads',
    when: 'an animation or multi-page file with more frames than MAX_INPUT_FRAMES',
  },
  OUTPUT_TOO_LARGE: {
    status: 422,
    scope: 'uploads',
    when: 'a variant would have a side above MAX_OUTPUT_DIMENSION (e.g. a width for a very tall image)',
  },
  RATE_LIMITED: {
    status: 429,
    scope: 'any',
    edge: true,
    retryAfter: true,
    when: 'too many requests from one address',
  },
  // nginx's convention for "the client went away first": never seen by the client, but it
  // labels logs and metrics honestly instead of calling an abandoned request a success or a 500.
  CLIENT_CLOSED_REQUEST: {
    status: 499,
    scope: 'none',
    when: 'never sent: the client closed the connection first',
  },
  INTERNAL_ERROR: {
    status: 500,
    scope: 'any',
    when: 'a bug or an encoder failure; the request id finds it in the logs',
  },
  BAD_GATEWAY: {
    status: 502,
    scope: 'any',
    edge: true,
    retryAfter: true,
    when: 'no replica of the service could be reached',
  },
  SERVER_BUSY: {
    status: 503,
    scope: 'uploads',
    retryAfter: true,
    when: 'at capacity: nothing was done, retry after Retry-After',
  },
  STORAGE_UNAVAILABLE: {
    status: 503,
    scope: 'uploads',
    retryAfter: true,
    when: 'S3 did not answer or refused: retry after Retry-After',
  },
  PROCESSING_TIMEOUT: {
    status: 504,
    scope: 'uploads',
    when: "processing did not finish within the request's deadline",
  },
  // The app always answers within its deadline, before nginx gives up on it.
  GATEWAY_TIMEOUT: {
    status: 504,
    scope: 'any',
    edge: true,
    when: 'a replica did not answer in time',
  },
} as const satisfies Record<string, ErrorCodeSpec>;

export type ErrorCode = keyof typeof errorCodes;

export interface AppErrorOptions {
  cause?: unknown;
  /** Extra response headers, e.g. Retry-After or Connection: close. */
  headers?: Record<string, string>;
}

export class AppError extends Error {
  readonly status: number;
  readonly headers: Record<string, string>;

  constructor(
    readonly code: ErrorCode,
    message: string,
    options: AppErrorOptions = {},
  ) {
    super(message, { cause: options.cause });
    this.name = 'AppError';
    this.status = errorCodes[code].status;
    this.headers = options.headers ?? {};
  }
}

// The errors raised in more than one place, built here so their wording and headers agree.

/** Shed: nothing was done, so retrying (after Retry-After) is always safe. */
export const busy = (message: string) =>
  new AppError('SERVER_BUSY', message, { headers: { 'Retry-After': '1' } });

// The error handler closes the connection, so the excess is never read.
export const tooLarge = (limit: number) =>
  new AppError('PAYLOAD_TOO_LARGE', `the upload is larger than ${limit} bytes`);

export const processingTimedOut = () =>
  new AppError('PROCESSING_TIMEOUT', "processing did not finish within the request's deadline");

export const storageUnavailable = (why: string, cause?: unknown) =>
  new AppError('STORAGE_UNAVAILABLE', `storage is unavailable (${why}); try again later`, {
    cause,
    headers: { 'Retry-After': '5' },
  });

export const clientClosed = () =>
  new AppError('CLIENT_CLOSED_REQUEST', 'the client closed the connection');
