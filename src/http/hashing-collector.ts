import { createHash } from 'node:crypto';
import type { Upload } from '../service/image-service';

/** Collects a stream's bytes and hashes them as they arrive (no second pass over the data). */
export class HashingCollector {
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
