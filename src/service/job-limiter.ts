import { processingTimedOut } from '../errors/app-error';
import { waitEnd, type RequestScope } from './request-scope';
import { WaitingLine } from './waiting-line';

export interface JobStats {
  /** Requests admitted and not yet answered (receiving, waiting or processing). */
  admitted: number;
  running: number;
  queued: number;
}

export interface JobLimiter {
  /**
   * Admits a request before its body is read. Returns the release to call when the request
   * ends, or undefined when MAX_CONCURRENT_JOBS + MAX_QUEUED_JOBS requests are already in.
   */
  tryAdmit(): (() => void) | undefined;
  /**
   * Runs CPU-heavy work in one of MAX_CONCURRENT_JOBS slots. Waits in line for at most
   * MAX_QUEUE_WAIT_MS, never past the request's deadline; then rejects with 503 SERVER_BUSY
   * without having started the work. Work still running at the deadline: rejects with 504
   * PROCESSING_TIMEOUT at once, but the slot stays taken until the work has really stopped, so
   * the CPU bound holds.
   */
  run<T>(work: () => Promise<T>, scope: RequestScope): Promise<T>;
  stats(): JobStats;
}

export interface JobLimiterOptions {
  maxConcurrent: number;
  maxQueued: number;
  /** MAX_QUEUE_WAIT_MS: the longest a job waits for a slot. */
  maxWaitMs: number;
  /** Called after every change, e.g. to update gauges. */
  onChange?: (stats: JobStats) => void;
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
 * Bounds image work so overload degrades into fast 503s instead of a pile of slow requests and
 * an OOM kill (imgproxy's most reported failure). Admission bounds memory (each admitted
 * request may hold an upload in memory); slots bound CPU and decode memory.
 */
export function createJobLimiter({
  maxConcurrent,
  maxQueued,
  maxWaitMs,
  onChange,
}: JobLimiterOptions): JobLimiter {
  let admitted = 0;
  let running = 0;
  const stats = (): JobStats => ({ admitted, running, queued: line.length });
  const changed = () => onChange?.(stats());
  const line = new WaitingLine<undefined>(changed);

  const startNext = () => {
    if (line.length > 0) {
      running++;
      line.admitFirst();
    }
    changed();
  };

  function acquire(scope: RequestScope): Promise<void> {
    if (running < maxConcurrent && line.length === 0) {
      running++;
      changed();
      return Promise.resolve();
    }
    const waiting = line.wait(undefined, {
      until: waitEnd(scope, maxWaitMs),
      signal: scope.signal,
      busyMessage: 'no processing slot became free in time; try again',
    });
    changed();
    return waiting;
  }

  return {
    tryAdmit() {
      if (admitted >= maxConcurrent + maxQueued) return undefined;
      admitted++;
      changed();
      let released = false;
      return () => {
        if (released) return;
        released = true;
        admitted--;
        changed();
      };
    },

    async run(work, scope) {
      scope.signal.throwIfAborted();
      await acquire(scope);
      const working = (async () => work())().finally(() => {
        running--;
        startNext();
      });
      working.catch(() => undefined); // a late failure after the deadline has no one to tell
      return beforeDeadline(working, scope.deadline);
    },

    stats,
  };
}
