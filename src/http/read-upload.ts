import type { Request, Response } from 'express';
import { remainingMs, type RequestScope } from '../capacity/request-scope';
import type { UploadLease } from '../capacity/upload-buffers';
import { AppError, busy, clientClosed, tooLarge } from '../errors/app-error';
import { HashingCollector, type CollectorOptions } from './hashing-collector';
import {
  FILE_FIELD,
  readMultipart,
  type ReceivedUpload,
  type UploadLimits,
} from './read-multipart';

function readRaw(
  req: Request,
  limits: UploadLimits,
  { hashWhileReceiving, lease }: Pick<CollectorOptions, 'hashWhileReceiving' | 'lease'>,
): Promise<ReceivedUpload> {
  const limit = limits.maxUploadBytes;
  const declared = Number(req.headers['content-length']);
  // Refuse on the declared size before reading a byte; chunked bodies are counted as they come.
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const collector = new HashingCollector({
      expectedSize: Number.isFinite(declared) ? declared : undefined,
      hashWhileReceiving,
      lease,
    });
    const onData = (chunk: Buffer) => {
      if (collector.size + chunk.length > limit) {
        req.off('data', onData);
        req.pause();
        return reject(tooLarge(limit));
      }
      collector.add(chunk);
    };
    req.on('data', onData);
    req.once('error', (err) =>
      reject(new AppError('MALFORMED_REQUEST', 'the upload was cut off', { cause: err })),
    );
    req.once('end', () => {
      const upload = collector.finish();
      if (upload) resolve({ upload, fields: {} });
      else reject(clientClosed());
    });
  });
}

export type BodyKind = 'multipart' | 'raw';

/**
 * What kind of body the request carries, from its Content-Type. Only the shape of the request
 * is decided here; whether the bytes are an image is decided later from their magic numbers.
 */
export function bodyKind(req: Request): BodyKind {
  const {
    'content-type': type,
    'content-length': length,
    'transfer-encoding': chunked,
  } = req.headers;
  if (!type && !chunked && (length === undefined || length === '0')) {
    throw new AppError(
      'MISSING_FILE',
      `no image: send multipart/form-data with the file in "${FILE_FIELD}", or the image bytes as the body`,
    );
  }
  if (req.is('multipart/form-data')) return 'multipart';
  if (req.is(['image/*', 'application/octet-stream'])) return 'raw';
  throw new AppError(
    'UNSUPPORTED_MEDIA_TYPE',
    `send multipart/form-data (file in "${FILE_FIELD}") or the raw image with Content-Type image/* or application/octet-stream`,
  );
}

export interface ReadOptions {
  kind: BodyKind;
  limits: UploadLimits;
  /**
   * Compute the digest while the bytes arrive (a content-addressed upload needs it; otherwise
   * it is computed only if asked for).
   */
  hashWhileReceiving: boolean;
  /** The buffer the upload is collected into, when its size is known (upload-buffers.ts). */
  lease?: UploadLease;
  scope: RequestScope;
}

/**
 * Reads the body within `requestTimeoutMs` and before the request's deadline; a client trickling
 * bytes gets 408 and is cut off. (Node's own requestTimeout is the backstop and answers with a
 * bare 408.)
 */
export function readUpload(
  req: Request,
  res: Response,
  { kind, limits, scope, ...collect }: ReadOptions,
): Promise<ReceivedUpload> {
  const reading =
    kind === 'multipart' ? readMultipart(req, res, limits, collect) : readRaw(req, limits, collect);
  // Whichever ends first: the client's time to send (408, the client's fault) or what is left
  // of the deadline after the server made the request wait (503, the server's).
  const remaining = remainingMs(scope);
  const clientsTime = limits.requestTimeoutMs <= remaining;
  const timeoutMs = Math.min(limits.requestTimeoutMs, remaining);
  let timer: NodeJS.Timeout | undefined;
  const tooSlow = new Promise<never>((_, reject) => {
    timer = setTimeout(() => {
      req.unpipe();
      req.pause();
      reject(
        clientsTime
          ? new AppError('REQUEST_TIMEOUT', `the upload did not arrive within ${timeoutMs} ms`)
          : busy("the request's deadline passed while its upload was being read; try again"),
      );
    }, timeoutMs);
  });
  reading.catch(() => undefined);
  return Promise.race([reading, tooSlow]).finally(() => clearTimeout(timer));
}
