import {
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { AppError } from '../errors/app-error';
import type { ImageStore, PutObjectInput, StoredObjectInfo } from './image-store';

export interface S3StoreOptions {
  bucket: string;
  region: string;
  endpoint?: string;
  forcePathStyle: boolean;
  /**
   * Flexible checksums (CRC32 trailers on uploads) are the SDK default and right for AWS; some
   * S3-compatible servers (s3rver, older MinIO/Ceph) store such bodies corrupted and need
   * WHEN_REQUIRED.
   */
  checksums: 'WHEN_SUPPORTED' | 'WHEN_REQUIRED';
}

/** Credentials come from the SDK's default chain (env, profile, container or instance role). */
export function createS3Client(options: S3StoreOptions): S3Client {
  return new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle,
    requestChecksumCalculation: options.checksums,
    responseChecksumValidation: options.checksums,
    // Bounded retries: a request must answer in bounded time even when S3 is down.
    maxAttempts: 3,
  });
}

const statusOf = (err: unknown) =>
  err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;

const unavailable = (operation: string, cause: unknown) =>
  new AppError(
    'STORAGE_UNAVAILABLE',
    `storage is unavailable (${operation} failed); try again later`,
    {
      cause,
      headers: { 'Retry-After': '5' },
    },
  );

export function createS3ImageStore(client: S3Client, bucket: string): ImageStore {
  return {
    async head(key: string): Promise<StoredObjectInfo | undefined> {
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        return {
          key,
          bytes: out.ContentLength ?? 0,
          contentType: out.ContentType ?? 'application/octet-stream',
          metadata: out.Metadata ?? {},
        };
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw unavailable('head', err);
      }
    },

    async put(input: PutObjectInput): Promise<void> {
      try {
        await client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: input.key,
            Body: input.body,
            ContentLength: input.body.length,
            ContentType: input.contentType,
            CacheControl: input.cacheControl,
            Metadata: input.metadata,
            // Content-addressed keys never need overwriting: where S3 supports conditional
            // writes, a racing replica's identical object is kept and ours is dropped (412).
            IfNoneMatch: '*',
          }),
        );
      } catch (err) {
        const status = statusOf(err);
        if (status === 412) return;
        throw unavailable('put', err);
      }
    },

    async ping(): Promise<void> {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch (err) {
        throw unavailable('head bucket', err);
      }
    },
  };
}
