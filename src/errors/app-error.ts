/**
 * The one error family of the service. Every failure a client can see is an AppError with an
 * HTTP status and a stable machine-readable code; the error handler turns it into
 * `{ error: { code, message, requestId } }`. Codes are part of the API: never rename one.
 */
export const errorCodes = {
  INVALID_PARAMETER: 400,
  UNKNOWN_PARAMETER: 400,
  MISSING_FILE: 400,
  TOO_MANY_FILES: 400,
  UNEXPECTED_FIELD: 400,
  TOO_MANY_PARTS: 400,
  MALFORMED_REQUEST: 400,
  UNAUTHORIZED: 401,
  PRESET_REQUIRED: 403,
  NOT_FOUND: 404,
  REQUEST_TIMEOUT: 408,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNSUPPORTED_IMAGE_FORMAT: 415,
  EMPTY_IMAGE: 422,
  UNREADABLE_IMAGE: 422,
  IMAGE_TOO_LARGE: 422,
  TOO_MANY_FRAMES: 422,
  OUTPUT_TOO_LARGE: 422,
  // Answered by nginx in front of the replicas, never by the app (nginx/templates): listed here
  // so clients find every code in one table, and a test keeps nginx's bodies in step with it.
  RATE_LIMITED: 429,
  // nginx's convention for "the client went away first": never seen by the client, but it
  // labels logs and metrics honestly instead of calling an abandoned request a success or a 500.
  CLIENT_CLOSED_REQUEST: 499,
  INTERNAL_ERROR: 500,
  BAD_GATEWAY: 502, // nginx: no replica could be reached
  SERVER_BUSY: 503,
  STORAGE_UNAVAILABLE: 503,
  PROCESSING_TIMEOUT: 504,
  GATEWAY_TIMEOUT: 504, // nginx: a replica did not answer in time (the app always answers first)
} as const;

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
    this.status = errorCodes[code];
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
