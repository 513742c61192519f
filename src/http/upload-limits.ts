import { AppError } from '../errors/app-error';
import type { Upload } from '../service/image-service';

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

// The error handler closes the connection (the excess is never read).
export const tooLarge = (limit: number) =>
  new AppError('PAYLOAD_TOO_LARGE', `the upload is larger than ${limit} bytes`);
