import { processingTimedOut } from '../errors/app-error';
import { waitEnd, type RequestScope } from './request-scope';
import { WeightedSemaphore, type Release } from './weighted-semaphore';

export interface CapacityOptions {
  /** MAX_CONCURRENT_JOBS: image jobs processed at once. */
  maxConcurrent: number;
  /** MAX_QUEUED_JOBS: requests admitted beyond those. */
  maxQueued: number;
  /** MAX_UPLOAD_MEMORY_BYTES: request bodies held in memory at once. */
  uploadMemoryBytes: number;
  /** MAX_QUEUE_WAIT_MS: the longest a request waits in any one line. */
  maxWaitMs: number;
  /** Called after every change, e.g. to update gauges. */
  onChange?: (stats: CapacityStats) => void;
}

export interface CapacityStats {
  /** Requests admitted and not yet answered (receiving, waiting or processing). */
  admitted: number;
  running: number;
  queued: number;
  uploadMemoryReserved: number;
  uploadsWaitingForMemory: number;
}

/** Rejects with PROCESSING_TIMEOUT at the deadline, whatever `work` is still doing. */
function beforeDeadline<T>(work: Promise<T>, deadline: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(processingTimedOut()), Math.max(0, deadline - Date.now()));
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/**
 * Everything a request can make this process spend, bounded, so that overload ends in fast,
 * retryable 503s instead of slow requests and an OOM kill (imgproxy's most reported failure).
 * Three limits, each a WeightedSemaphore:
 * - admission, before the body is read: MAX_CONCURRENT_JOBS + MAX_QUEUED_JOBS requests in;
 * - upload memory: the bytes of the bodies being read or held;
 * - processing slots: MAX_CONCURRENT_JOBS jobs doing CPU work, which bounds CPU and decode memory.
 */
export function createCapacity(options: CapacityOptions) {
  const changed = () => options.onChange?.(stats());
  const admission = new WeightedSemaphore(options.maxConcurrent + options.maxQueued, changed);
  const memory = new WeightedSemaphore(options.uploadMemoryBytes, changed);
  const slots = new WeightedSemaphore(options.maxConcurrent, changed);

  function stats(): CapacityStats {
    return {
      admitted: admission.inUse,
      running: slots.inUse,
      queued: slots.waiting,
      uploadMemoryReserved: memory.inUse,
      uploadsWaitingForMemory: memory.waiting,
    };
  }

  return {
    /** Admits a request, or returns undefined when the process is full: answer 503 at once. */
    admit: (): Release | undefined => admission.tryAcquire(1),

    /**
     * Reserves `bytes` for a body about to be read. While it waits, the body stays unread: TCP
     * flow control holds it in the client's and the kernel's buffers, so a burst of large
     * uploads costs the process almost nothing until its turn comes.
     */
    reserveUploadMemory: (bytes: number, scope: RequestScope): Promise<Release> =>
      memory.acquire(bytes, {
        until: waitEnd(scope, options.maxWaitMs),
        signal: scope.signal,
        busyMessage: 'no memory for the upload became free in time; try again',
      }),

    /**
     * Runs CPU-heavy work in a slot. Work still running at the request's deadline: rejects with
     * 504 at once, but the slot stays taken until the work has really stopped (an encoder cannot
     * be interrupted), so the CPU bound holds.
     */
    async runJob<T>(work: () => Promise<T>, scope: RequestScope): Promise<T> {
      const release = await slots.acquire(1, {
        until: waitEnd(scope, options.maxWaitMs),
        signal: scope.signal,
        busyMessage: 'no processing slot became free in time; try again',
      });
      const working = (async () => work())().finally(() => {
        release();
        scope.running.delete(working);
      });
      scope.running.add(working);
      working.catch(() => undefined); // a late failure after the deadline has no one to tell
      return beforeDeadline(working, scope.deadline);
    },

    stats,
  };
}

export type Capacity = ReturnType<typeof createCapacity>;
