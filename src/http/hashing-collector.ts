import { createDigest, digestOf, type Digest } from '../domain/content-digest';
import type { UploadLease } from '../capacity/upload-buffers';
import type { Upload } from '../service/image-service';

export interface CollectorOptions {
  /**
   * An upper bound of the size, known up front (a raw body's Content-Length, or a multipart
   * request's, which is the file plus a little form framing).
   */
  expectedSize?: number;
  /**
   * Hash while the bytes arrive (the content address of /v1/images,
   * src/domain/content-digest.ts), so no second pass over the data is needed. /v1/resize never
   * reads the digest: it is then computed only if asked for.
   */
  hashWhileReceiving: boolean;
  /** Where the buffer comes from when the size is known: reused across requests. */
  lease?: UploadLease;
}

/**
 * Collects a stream's bytes. When a size bound is known, bytes are copied straight into one
 * buffer of that size; otherwise chunks are kept and joined once at the end. The first way never
 * holds the body twice, which matters at 16 concurrent 25 MB uploads.
 */
export class HashingCollector {
  private readonly hash: Digest | undefined;
  private readonly chunks: Buffer[] = [];
  private readonly lease: UploadLease | undefined;
  private target: Buffer | undefined;
  size = 0;

  constructor({ expectedSize, hashWhileReceiving, lease }: CollectorOptions) {
    this.hash = hashWhileReceiving ? createDigest() : undefined;
    this.lease = lease;
    if (expectedSize !== undefined && Number.isSafeInteger(expectedSize) && expectedSize > 0) {
      this.target = lease ? lease.take(expectedSize) : Buffer.allocUnsafe(expectedSize);
    }
  }

  add(chunk: Buffer) {
    // The request is over and its buffer may already hold another upload: never write to it.
    if (this.lease?.ended) return;
    this.hash?.update(chunk);
    if (this.target && this.size + chunk.length <= this.target.length) {
      chunk.copy(this.target, this.size);
    } else {
      // More than announced (Node's parser prevents it, but never trust it blindly): fall back.
      if (this.target) this.chunks.push(this.target.subarray(0, this.size));
      this.target = undefined;
      this.chunks.push(chunk);
    }
    this.size += chunk.length;
  }

  /** Undefined once the lease has ended: the request is over, its bytes may be another's. */
  finish(): Upload | undefined {
    if (this.lease?.ended) return undefined;
    const data = this.target
      ? this.target.subarray(0, this.size)
      : Buffer.concat(this.chunks, this.size);
    const streamed = this.hash?.digest('hex');
    let lazy: string | undefined;
    return {
      data,
      get digest() {
        return streamed ?? (lazy ??= digestOf(data));
      },
    };
  }
}
