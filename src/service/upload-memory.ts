import { busy } from './job-limiter';

export interface UploadMemoryStats {
  reservedBytes: number;
  waiting: number;
}

export interface UploadMemory {
  /**
   * Reserves `bytes` for an upload about to be read into memory, waiting in line (first come,
   * first served, so a large upload is not starved by small ones) for at most the configured
   * time; then rejects with 503 SERVER_BUSY. Returns the release, safe to call more than once.
   */
  reserve(bytes: number, signal?: AbortSignal): Promise<() => void>;
  stats(): UploadMemoryStats;
}

export interface UploadMemoryOptions {
  totalBytes: number;
  waitMs: number;
  onChange?: (stats: UploadMemoryStats) => void;
}

interface Waiter {
  bytes: number;
  grant: () => void;
}

/**
 * Bounds the bytes of request bodies held in memory at once (MAX_UPLOAD_MEMORY_BYTES). Admission
 * bounds how many requests are in; this bounds what their bodies weigh. A request waiting here
 * has not read its body: TCP flow control holds the rest of it in the client's and the kernel's
 * buffers, so a burst of large uploads costs the process almost nothing until its turn comes.
 */
export function createUploadMemory({
  totalBytes,
  waitMs,
  onChange,
}: UploadMemoryOptions): UploadMemory {
  let reserved = 0;
  const queue: Waiter[] = [];
  const stats = (): UploadMemoryStats => ({ reservedBytes: reserved, waiting: queue.length });
  const changed = () => onChange?.(stats());

  const grantWaiting = () => {
    while (queue[0] && reserved + queue[0].bytes <= totalBytes) queue.shift()?.grant();
  };

  const releaser = (bytes: number) => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      reserved -= bytes;
      grantWaiting();
      changed();
    };
  };

  return {
    reserve(requested, signal) {
      signal?.throwIfAborted();
      // Never more than the whole budget, or the request could never be served.
      const bytes = Math.min(Math.max(0, requested), totalBytes);
      if (queue.length === 0 && reserved + bytes <= totalBytes) {
        reserved += bytes;
        changed();
        return Promise.resolve(releaser(bytes));
      }
      return new Promise((resolve, reject) => {
        const leave = (err: Error) => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          const at = queue.indexOf(waiter);
          if (at >= 0) queue.splice(at, 1);
          // The head of the line may have been the one blocking smaller requests behind it.
          grantWaiting();
          changed();
          reject(err);
        };
        const onAbort = () =>
          leave(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
        const waiter: Waiter = {
          bytes,
          grant: () => {
            clearTimeout(timer);
            signal?.removeEventListener('abort', onAbort);
            reserved += bytes;
            resolve(releaser(bytes));
          },
        };
        const timer = setTimeout(
          () => leave(busy('no memory for the upload became free in time; try again')),
          waitMs,
        );
        signal?.addEventListener('abort', onAbort, { once: true });
        queue.push(waiter);
        changed();
      });
    },
    stats,
  };
}
