import type { Request, Response } from 'express';
import multer, { MulterError } from 'multer';
import { AppError, clientClosed, tooLarge } from '../errors/app-error';
import type { Upload } from '../service/image-service';
import { HashingCollector, type CollectorOptions } from './hashing-collector';

export interface UploadLimits {
  maxUploadBytes: number;
  /** The whole body must arrive within this time (slow clients must not hold a slot). */
  requestTimeoutMs: number;
}

export interface ReceivedUpload {
  upload: Upload;
  /** Multipart text fields (parameters); empty for a raw body. */
  fields: Record<string, unknown>;
}

export const FILE_FIELD = 'image';

/** What our storage engine adds to multer's file object. */
type StoredFile = { upload?: Upload };

/**
 * A multer storage engine that keeps the file in memory, hashed while it streams in. Over the
 * size limit it calls `onTooLarge` at once: multer itself would first drain the whole rest of
 * the body (which a hostile client can make endless) before reporting the error.
 */
function hashingStorage(
  onTooLarge: () => void,
  collectorOptions: CollectorOptions,
): multer.StorageEngine {
  return {
    _handleFile(_req, file, callback) {
      const collector = new HashingCollector(collectorOptions);
      file.stream.on('data', (chunk: Buffer) => collector.add(chunk));
      file.stream.on('error', (err) => callback(err));
      file.stream.on('limit', () => {
        onTooLarge();
        callback(new Error('file size limit reached'));
      });
      file.stream.on('end', () => {
        const upload = collector.finish();
        if (!upload) return callback(clientClosed());
        const info: StoredFile & { size: number } = { size: collector.size, upload };
        callback(null, info);
      });
    },
    _removeFile(_req, file, callback) {
      delete (file as StoredFile).upload;
      callback(null);
    },
  };
}

function multerError(err: unknown, limit: number): AppError {
  if (err instanceof AppError) return err;
  if (err instanceof MulterError) {
    switch (err.code) {
      case 'LIMIT_FILE_SIZE':
        return tooLarge(limit);
      case 'LIMIT_FILE_COUNT':
        return new AppError(
          'TOO_MANY_FILES',
          `send exactly one file, in the field "${FILE_FIELD}"`,
        );
      case 'LIMIT_UNEXPECTED_FILE':
        return err.field === FILE_FIELD
          ? new AppError('TOO_MANY_FILES', `send exactly one file, in the field "${FILE_FIELD}"`)
          : new AppError(
              'UNEXPECTED_FIELD',
              `unexpected file field; send the image in "${FILE_FIELD}"`,
            );
      case 'LIMIT_PART_COUNT':
      case 'LIMIT_FIELD_COUNT':
        return new AppError('TOO_MANY_PARTS', 'too many parts in the multipart form');
      default:
        return new AppError('MALFORMED_REQUEST', `bad multipart form: ${err.message}`);
    }
  }
  return new AppError('MALFORMED_REQUEST', 'the multipart form could not be parsed', {
    cause: err,
  });
}

// Room for the form's boundaries, part headers and the few parameter fields.
const MULTIPART_OVERHEAD_BYTES = 64 * 1024;

export function readMultipart(
  req: Request,
  res: Response,
  limits: UploadLimits,
  { hashWhileReceiving, lease }: Pick<CollectorOptions, 'hashWhileReceiving' | 'lease'>,
): Promise<ReceivedUpload> {
  const limit = limits.maxUploadBytes;
  const declared = Number(req.headers['content-length']);
  if (declared > limit + MULTIPART_OVERHEAD_BYTES) return Promise.reject(tooLarge(limit));
  // The whole form's length bounds the file's: one buffer of it (a few hundred bytes of framing
  // too many) costs less than collecting chunks and joining them, which holds the file twice.
  const collectorOptions = {
    expectedSize: Number.isFinite(declared) ? Math.min(declared, limit) : undefined,
    hashWhileReceiving,
    lease,
  };
  return new Promise((resolve, reject) => {
    const parse = multer({
      storage: hashingStorage(() => reject(tooLarge(limit)), collectorOptions),
      limits: {
        fileSize: limit,
        files: 1,
        // Six parameters exist; a little slack, then refuse: a form with hundreds of parts is abuse.
        fields: 12,
        parts: 16,
        fieldNameSize: 64,
        fieldSize: 1024,
        headerPairs: 32,
      },
    }).single(FILE_FIELD);
    parse(req, res, (err?: unknown) => {
      if (err) return reject(multerError(err, limit));
      const file = (req as { file?: StoredFile }).file;
      if (!file?.upload) {
        return reject(new AppError('MISSING_FILE', `no file in the form field "${FILE_FIELD}"`));
      }
      resolve({ upload: file.upload, fields: (req.body ?? {}) as Record<string, unknown> });
    });
  });
}
