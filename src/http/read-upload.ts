import { createHash } from 'node:crypto';
import type { Request, Response } from 'express';
import multer, { MulterError } from 'multer';
import { AppError } from '../errors/app-error';
import type { Upload } from '../service/image-service';

export interface UploadLimits {
  maxUploadBytes: number;
}

export interface ReceivedUpload {
  upload: Upload;
  /** Multipart text fields (parameters); empty for a raw body. */
  fields: Record<string, unknown>;
}

export const FILE_FIELD = 'image';

// Closing the connection after a 413 stops the client's excess bytes from being read and
// thrown away for as long as it keeps sending.
const tooLarge = (limit: number) =>
  new AppError('PAYLOAD_TOO_LARGE', `the upload is larger than ${limit} bytes`, {
    headers: { Connection: 'close' },
  });

/** Collects a stream's bytes and hashes them as they arrive (no second pass over the data). */
class HashingCollector {
  private readonly hash = createHash('sha256');
  private readonly chunks: Buffer[] = [];
  size = 0;
  add(chunk: Buffer) {
    this.hash.update(chunk);
    this.chunks.push(chunk);
    this.size += chunk.length;
  }
  finish(): Upload {
    return { data: Buffer.concat(this.chunks, this.size), sha256: this.hash.digest('hex') };
  }
}

/** What our storage engine adds to multer's file object. */
type StoredFile = { upload?: Upload };

/** A multer storage engine that keeps the file in memory, hashed while it streams in. */
const hashingStorage: multer.StorageEngine = {
  _handleFile(_req, file, callback) {
    const collector = new HashingCollector();
    file.stream.on('data', (chunk: Buffer) => collector.add(chunk));
    file.stream.on('error', (err) => callback(err));
    file.stream.on('end', () => {
      const info: StoredFile & { size: number } = {
        size: collector.size,
        upload: collector.finish(),
      };
      callback(null, info);
    });
  },
  _removeFile(_req, file, callback) {
    delete (file as StoredFile).upload;
    callback(null);
  },
};

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

function readMultipart(req: Request, res: Response, limits: UploadLimits): Promise<ReceivedUpload> {
  const parse = multer({
    storage: hashingStorage,
    limits: {
      fileSize: limits.maxUploadBytes,
      files: 1,
      // Six parameters exist; a little slack, then refuse: a form with hundreds of parts is abuse.
      fields: 12,
      parts: 16,
      fieldNameSize: 64,
      fieldSize: 1024,
      headerPairs: 32,
    },
  }).single(FILE_FIELD);
  return new Promise((resolve, reject) => {
    parse(req, res, (err?: unknown) => {
      if (err) return reject(multerError(err, limits.maxUploadBytes));
      const file = (req as { file?: StoredFile }).file;
      if (!file?.upload) {
        return reject(new AppError('MISSING_FILE', `no file in the form field "${FILE_FIELD}"`));
      }
      resolve({ upload: file.upload, fields: (req.body ?? {}) as Record<string, unknown> });
    });
  });
}

function readRaw(req: Request, limits: UploadLimits): Promise<ReceivedUpload> {
  const limit = limits.maxUploadBytes;
  const declared = Number(req.headers['content-length']);
  // Refuse on the declared size before reading a byte; chunked bodies are counted as they come.
  if (declared > limit) return Promise.reject(tooLarge(limit));
  return new Promise((resolve, reject) => {
    const collector = new HashingCollector();
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
    req.once('end', () => resolve({ upload: collector.finish(), fields: {} }));
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

export function readUpload(req: Request, res: Response, kind: BodyKind, limits: UploadLimits) {
  return kind === 'multipart' ? readMultipart(req, res, limits) : readRaw(req, limits);
}
