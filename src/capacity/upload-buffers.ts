const MiB = 1024 * 1024;

/**
 * Uploads from just over MIN_POOLED_BYTES to MAX_POOLED_BYTES get a reused buffer. A smaller one
 * barely moves V8's external-memory trigger; a larger one is rare, and an idle one would hold
 * its size (the 25 MiB worst case is what MAX_UPLOAD_MEMORY_BYTES is for).
 */
export const MIN_POOLED_BYTES = MiB / 2;
export const MAX_POOLED_BYTES = 8 * MiB;

/** One request's claim on an upload buffer. */
export interface UploadLease {
  /**
   * `size` bytes to collect the upload into; call it once. After end() (a reader that outlived
   * its request) a fresh buffer that goes nowhere: never throws on a client's timing.
   */
  take(size: number): Buffer;
  /**
   * True once the buffer is given back: its bytes may be another request's from then on, so
   * whatever still holds this lease must neither write to it nor read from it.
   */
  readonly ended: boolean;
  /** Gives the buffer back. Idempotent. */
  end(): void;
}

export interface UploadBuffers {
  lease(): UploadLease;
  /**
   * The bytes an upload of `size` takes: its class when pooled. The upload memory reserved
   * (MAX_UPLOAD_MEMORY_BYTES) is this, so the rounding is counted too.
   */
  footprint(size: number): number;
  /** Bytes of idle buffers kept for reuse. */
  readonly idleBytes: number;
}

/**
 * Upload buffers reused across requests (UPLOAD_BUFFER_POOL_BYTES). A 1.5 MB upload lives for
 * its whole request (~300 ms under load): long enough for V8 to move it to the old generation,
 * so a fresh buffer per upload was freed only by full collections, one every ~15 uploads; with
 * reused ones a /v1/resize request costs 2.4 ms less CPU (docs/performance.md, "Upload buffers").
 *
 * Security: a buffer given back may hold another client's upload at once. The route gives it
 * back only when nothing of the request can touch it any more: once its answer is sent and its
 * work has stopped, the moment its upload memory is released too (routes/images.ts); a reader
 * still attached then checks `ended` and drops what arrives (hashing-collector.ts). A buffer is
 * never handed out with stale bytes visible: the collector exposes only what it wrote.
 *
 * Sizes are rounded up to the next MiB, so one idle buffer serves every upload of its class; a
 * class that could never be kept is not rounded. When a buffer comes back to a full pool, idle
 * ones of other classes make room (class by class, each one's oldest first), so the pool follows
 * the sizes that arrive.
 */
export function createUploadBuffers(maxIdleBytes: number): UploadBuffers {
  const idle = new Map<number, Buffer[]>();
  let idleBytes = 0;
  const classOf = (size: number) => {
    const bytes = Math.ceil(size / MiB) * MiB;
    return size > MIN_POOLED_BYTES && size <= MAX_POOLED_BYTES && bytes <= maxIdleBytes
      ? bytes
      : undefined;
  };
  const makeRoom = (bytes: number) => {
    // Buffers of its own size alone leave no room: then it is dropped, and the others stay.
    if (((idle.get(bytes)?.length ?? 0) + 1) * bytes > maxIdleBytes) return;
    for (const [size, list] of idle) {
      while (size !== bytes && list.length > 0 && idleBytes + bytes > maxIdleBytes) {
        list.shift();
        idleBytes -= size;
      }
    }
  };

  return {
    get idleBytes() {
      return idleBytes;
    },
    footprint: (size) => classOf(size) ?? size,
    lease() {
      let pooled: Buffer | undefined;
      let taken = false;
      let ended = false;
      return {
        get ended() {
          return ended;
        },
        take(size) {
          if (taken) throw new Error('an upload lease hands out one buffer');
          taken = true;
          const classBytes = classOf(size);
          if (ended || classBytes === undefined) return Buffer.allocUnsafe(size);
          pooled = idle.get(classBytes)?.pop();
          if (pooled) idleBytes -= pooled.length;
          pooled ??= Buffer.allocUnsafe(classBytes);
          return pooled.subarray(0, size);
        },
        end() {
          if (ended) return;
          ended = true;
          if (!pooled) return;
          makeRoom(pooled.length);
          if (idleBytes + pooled.length > maxIdleBytes) return;
          const list = idle.get(pooled.length) ?? [];
          list.push(pooled);
          idle.set(pooled.length, list);
          idleBytes += pooled.length;
          pooled = undefined;
        },
      };
    },
  };
}
