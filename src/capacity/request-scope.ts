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
}

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
