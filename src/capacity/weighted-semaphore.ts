import { busy } from '../errors/app-error';

/** Gives the units back; calling it again does nothing. */
export type Release = () => void;

export interface AcquireOptions {
  /** Epoch ms: still waiting then, the waiter leaves with 503 SERVER_BUSY. */
  until: number;
  /** Aborted (the client went away): the waiter leaves with the signal's reason. */
  signal: AbortSignal;
  /** What the 503 says, e.g. which resource ran out. */
  busyMessage: string;
}

interface Waiter {
  weight: number;
  grant: (release: Release) => void;
}

/**
 * The one primitive behind every capacity limit of the service: `capacity` units (requests,
 * bytes, processing slots) shared first come, first served. A waiter is granted its units only
 * when they are free and nobody is ahead of it, so a heavy request is never starved by a stream
 * of light ones; it leaves the line on its own when its time is up or its client goes away.
 */
export class WeightedSemaphore {
  private used = 0;
  private readonly line: Waiter[] = [];

  constructor(
    readonly capacity: number,
    /** Called after every change, e.g. to update gauges. */
    private readonly onChange: () => void = () => undefined,
  ) {}

  get inUse(): number {
    return this.used;
  }

  get waiting(): number {
    return this.line.length;
  }

  /** Takes `weight` units now if they are free and nobody waits; never waits. */
  tryAcquire(weight = 1): Release | undefined {
    const units = this.clamp(weight);
    if (this.line.length > 0 || this.used + units > this.capacity) return undefined;
    this.used += units;
    this.onChange();
    return this.releaser(units);
  }

  /** Takes `weight` units, waiting in line for them if needed (see AcquireOptions). */
  acquire(weight: number, { until, signal, busyMessage }: AcquireOptions): Promise<Release> {
    signal.throwIfAborted();
    const now = this.tryAcquire(weight);
    if (now) return Promise.resolve(now);
    return new Promise((resolve, reject) => {
      const leave = (err: Error) => {
        clearTimeout(timer);
        signal.removeEventListener('abort', onAbort);
        const at = this.line.indexOf(waiter);
        if (at >= 0) this.line.splice(at, 1);
        // It may have been the one blocking lighter waiters behind it.
        this.grantWaiting();
        this.onChange();
        reject(err);
      };
      const onAbort = () =>
        leave(signal.reason instanceof Error ? signal.reason : new Error('aborted'));
      const waiter: Waiter = {
        weight: this.clamp(weight),
        grant: (release) => {
          clearTimeout(timer);
          signal.removeEventListener('abort', onAbort);
          resolve(release);
        },
      };
      const timer = setTimeout(() => leave(busy(busyMessage)), Math.max(0, until - Date.now()));
      signal.addEventListener('abort', onAbort, { once: true });
      this.line.push(waiter);
      this.onChange();
    });
  }

  /** Never more than the whole capacity, or the waiter could never be served. */
  private clamp(weight: number): number {
    return Math.min(Math.max(0, weight), this.capacity);
  }

  private releaser(units: number): Release {
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.used -= units;
      this.grantWaiting();
      this.onChange();
    };
  }

  private grantWaiting(): void {
    for (let next = this.line[0]; next && this.used + next.weight <= this.capacity;) {
      this.line.shift();
      this.used += next.weight;
      next.grant(this.releaser(next.weight));
      next = this.line[0];
    }
  }
}
