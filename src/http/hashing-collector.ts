import { createHash } from 'node:crypto';
import type { Upload } from '../service/image-service';

/**
 * Collects a stream's bytes and hashes them as they arrive (no second pass over the data).
 * When the size is known up front (a raw body's Content-Length), bytes are copied straight into
 * one buffer of that size; otherwise chunks are kept and joined once at the end. The first way
 * never holds the body twice, which matters at 16 concurrent 25 MB uploads.
 */
export class HashingCollector {
  private readonly hash = createHash('sha256');
  private readonly chunks: Buffer[] = [];
  private target: Buffer | undefined;
  size = 0;

  constructor(expectedSize?: number) {
    if (expectedSize !== undefined && Number.isSafeInteger(expectedSize) && expectedSize > 0) {
      this.target = Buffer.allocUnsafe(expectedSize);
    }
  }

  add(chunk: Buffer) {
    this.hash.update(chunk);
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

  finish(): Upload {
    const data = this.target
      ? this.target.subarray(0, this.size)
      : Buffer.concat(this.chunks, this.size);
    return { data, sha256: this.hash.digest('hex') };
  }
}
