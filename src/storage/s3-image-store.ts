import {
  HeadBucketCommand,
  HeadObjectCommand,
  PutObjectCommand,
  S3Client,
  S3ServiceException,
} from '@aws-sdk/client-s3';
import { AppError, storageUnavailable } from '../errors/app-error';
import type { ImageStore } from './image-store';

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
  /** Per attempt: connecting, and the whole request and response. */
  timeoutMs: number;
  maxAttempts: number;
}

/**
 * Credentials come from the SDK's default chain (env, profile, container or instance role).
 *
 * The SDK's `cacheMiddleware` stays off: it reuses a resolved handler only for sends without
 * options, and every send here carries its request's abort signal (a client gone, a deadline
 * passed), worth more than the ~0.1 ms of ~0.5 it would save per request (bench/s3-request-cost.ts).
 */
export function createS3Client(options: S3StoreOptions): S3Client {
  return new S3Client({
    region: options.region,
    endpoint: options.endpoint,
    forcePathStyle: options.forcePathStyle,
    requestChecksumCalculation: options.checksums,
    responseChecksumValidation: options.checksums,
    // Bounded retries and per-attempt timeouts: with S3 down or hanging, an operation fails
    // after at most maxAttempts x timeoutMs (plus backoff) instead of hanging the request.
    maxAttempts: options.maxAttempts,
    requestHandler: {
      connectionTimeout: options.timeoutMs,
      requestTimeout: options.timeoutMs,
      throwOnRequestTimeout: true,
    },
  });
}

const statusOf = (err: unknown) =>
  err instanceof S3ServiceException ? err.$metadata.httpStatusCode : undefined;

/**
 * Why an operation failed, for the client. Aborted because the client went away: its reason
 * (an AppError). Aborted at the request's deadline: storage was too slow, say so. Otherwise
 * S3 failed after the SDK's retries.
 */
function failure(operation: string, err: unknown, signal?: AbortSignal): Error {
  if (signal?.aborted) {
    if (signal.reason instanceof AppError) return signal.reason;
    return storageUnavailable(`${operation} did not finish before the request's deadline`, err);
  }
  return storageUnavailable(`${operation} failed`, err);
}

export function createS3ImageStore(client: S3Client, bucket: string): ImageStore {
  return {
    async head(key, signal) {
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }), {
          abortSignal: signal,
        });
        return {
          key,
          bytes: out.ContentLength ?? 0,
          contentType: out.ContentType ?? 'application/octet-stream',
          metadata: out.Metadata ?? {},
        };
      } catch (err) {
        if (statusOf(err) === 404) return undefined;
        throw failure('head', err, signal);
      }
    },

    async put(input, signal) {
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
            // A variant's content-addressed key never needs overwriting: where S3 supports
            // conditional writes, a racing replica's identical object is kept and ours is
            // dropped (412). Only an upload's record is rewritten.
            IfNoneMatch: input.overwrite ? undefined : '*',
          }),
          { abortSignal: signal },
        );
      } catch (err) {
        const status = statusOf(err);
        if (status === 412) return;
        throw failure('put', err, signal);
      }
    },

    async ping(): Promise<void> {
      try {
        await client.send(new HeadBucketCommand({ Bucket: bucket }));
      } catch (err) {
        throw failure('head bucket', err);
      }
    },
  };
}
