/**
 * What every step of one request's work is given: one deadline, fixed when the request was
 * admitted (REQUEST_DEADLINE_MS), and a signal that aborts when the client goes away. Each step
 * (waiting for upload memory, reading the body, waiting for a slot, processing, S3) is bounded
 * by the same deadline instead of starting a timer of its own, so the whole request always ends
 * within REQUEST_DEADLINE_MS and nginx, whose timeouts are longer, always hears the answer.
 */
export interface RequestScope {
  /** Epoch ms. */
  readonly deadline: number;
  readonly signal: AbortSignal;
  /**
   * This request's work still running, even after its answer: an encoder cannot be interrupted,
   * so work past the deadline (504) or past the client's leaving goes on, holding its slot and
   * the upload's bytes, until it stops. What the work holds is given back only then.
   */
  readonly running: Set<Promise<unknown>>;
}

/** A fresh scope: `deadlineMs` from now, aborted through `signal`. */
export const newScope = (deadlineMs: number, signal: AbortSignal): RequestScope => ({
  deadline: Date.now() + deadlineMs,
  signal,
  running: new Set(),
});

/** Resolves once none of the request's work is running any more. */
export const workStopped = (scope: RequestScope): Promise<void> =>
  Promise.allSettled([...scope.running]).then(() => undefined);

export const remainingMs = (scope: Pick<RequestScope, 'deadline'>, now = Date.now()) =>
  Math.max(0, scope.deadline - now);

/** The end of a wait in line: at most `maxWaitMs` from now, and never past the deadline. */
export const waitEnd = (scope: Pick<RequestScope, 'deadline'>, maxWaitMs: number) =>
  Math.min(scope.deadline, Date.now() + maxWaitMs);

/**
 * A signal for I/O that must stop at the deadline: it aborts when the client goes away (its
 * reason is then the client's) or when the deadline passes (a TimeoutError DOMException).
 */
export const ioSignal = (scope: RequestScope): AbortSignal =>
  AbortSignal.any([scope.signal, AbortSignal.timeout(remainingMs(scope))]);
