/**
 * The storage port: where variants go. S3 is one implementation; tests and benchmarks can
 * plug in others. Implementations throw AppError('STORAGE_UNAVAILABLE') for any failure of the
 * backing service, so callers map storage trouble to one 503.
 */
export interface StoredObjectInfo {
  key: string;
  bytes: number;
  contentType: string;
  /** User metadata written with the object (lower-case keys). */
  metadata: Record<string, string>;
}

export interface PutObjectInput {
  key: string;
  body: Buffer;
  contentType: string;
  cacheControl: string;
  metadata: Record<string, string>;
  /**
   * Replace an object already under the key. Off by default: a variant's key is its content's
   * address, so its PUT is conditional and a racing replica's identical object is kept; only
   * an upload's record is rewritten (src/domain/upload-record.ts).
   */
  overwrite?: boolean;
}

export interface ImageStore {
  /** Describes the object, or undefined when there is none under that key. */
  head(key: string, signal?: AbortSignal): Promise<StoredObjectInfo | undefined>;
  /** Writes the whole object or nothing (one atomic PUT: no partial object is ever visible). */
  put(input: PutObjectInput, signal?: AbortSignal): Promise<void>;
  /** Throws unless the store answers and the bucket is reachable. */
  ping(): Promise<void>;
}
