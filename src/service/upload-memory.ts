import { waitEnd, type RequestScope } from './request-scope';
import { WaitingLine } from './waiting-line';

export interface UploadMemoryStats {
  reservedBytes: number;
  waiting: number;
}

export interface UploadMemory {
  /**
   * Reserves `bytes` for an upload about to be read into memory, waiting in line (first come,
   * first served, so a large upload is not starved by small ones) for at most `maxWaitMs` and
   * never past the request's deadline; then rejects with 503 SERVER_BUSY. Returns the release,
   * safe to call more than once.
   */
  reserve(bytes: number, scope: RequestScope): Promise<() => void>;
  stats(): UploadMemoryStats;
}

export interface UploadMemoryOptions {
  totalBytes: number;
  /** MAX_QUEUE_WAIT_MS. */
  maxWaitMs: number;
  onChange?: (stats: UploadMemoryStats) => void;
}

/**
 * Bounds the bytes of request bodies held in memory at once (MAX_UPLOAD_MEMORY_BYTES). Admission
 * bounds how many requests are in; this bounds what their bodies weigh. A request waiting here
 * has not read its body: TCP flow control holds the rest of it in the client's and the kernel's
 * buffers, so a burst of large uploads costs the process almost nothing until its turn comes.
 */
export function createUploadMemory({
  totalBytes,
  maxWaitMs,
  onChange,
}: UploadMemoryOptions): UploadMemory {
  let reserved = 0;
  const stats = (): UploadMemoryStats => ({ reservedBytes: reserved, waiting: line.length });
  const changed = () => onChange?.(stats());

  const admitWaiting = () => {
    for (let next = line.first(); next !== undefined && reserved + next <= totalBytes;) {
      reserved += next;
      line.admitFirst();
      next = line.first();
    }
  };
  // A waiter that left may have been the one blocking smaller requests behind it.
  const line = new WaitingLine<number>(() => {
    admitWaiting();
    changed();
  });

  const releaser = (bytes: number) => {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      reserved -= bytes;
      admitWaiting();
      changed();
    };
  };

  return {
    async reserve(requested, scope) {
      scope.signal.throwIfAborted();
      // Never more than the whole budget, or the request could never be served.
      const bytes = Math.min(Math.max(0, requested), totalBytes);
      if (line.length === 0 && reserved + bytes <= totalBytes) {
        reserved += bytes;
      } else {
        const waiting = line.wait(bytes, {
          until: waitEnd(scope, maxWaitMs),
          signal: scope.signal,
          busyMessage: 'no memory for the upload became free in time; try again',
        });
        changed();
        await waiting;
      }
      changed();
      return releaser(bytes);
    },
    stats,
  };
}
