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
  NOT_FOUND: 404,
  PAYLOAD_TOO_LARGE: 413,
  UNSUPPORTED_MEDIA_TYPE: 415,
  UNSUPPORTED_IMAGE_FORMAT: 415,
  EMPTY_IMAGE: 422,
  UNREADABLE_IMAGE: 422,
  IMAGE_TOO_LARGE: 422,
  INTERNAL_ERROR: 500,
  STORAGE_UNAVAILABLE: 503,
  NOT_READY: 503,
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

export const isAppError = (err: unknown): err is AppError => err instanceof AppError;
