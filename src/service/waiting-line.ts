import { busy } from '../errors/app-error';

interface Waiter<T> {
  value: T;
  admit: () => void;
}

export interface WaitOptions {
  /** Epoch ms: still waiting then, the waiter leaves with 503 SERVER_BUSY. */
  until: number;
  signal?: AbortSignal;
  busyMessage: string;
}

/**
 * A first-come-first-served line of requests waiting for a resource (a processing slot, upload
 * memory). The owner decides when the first may go (`admitFirst`); a waiter leaves on its own
 * when its time is up (503 SERVER_BUSY) or its client goes away (the signal's reason), and then
 * `onLeave` runs, since those behind it may now fit.
 */
export class WaitingLine<T> {
  private readonly waiters: Waiter<T>[] = [];

  constructor(private readonly onLeave: () => void) {}

  get length() {
    return this.waiters.length;
  }

  /** The value of the first in line, if any. */
  first(): T | undefined {
    return this.waiters[0]?.value;
  }

  /** Lets the first in line go: its wait() resolves. Returns its value. */
  admitFirst(): T | undefined {
    const waiter = this.waiters.shift();
    waiter?.admit();
    return waiter?.value;
  }

  wait(value: T, { until, signal, busyMessage }: WaitOptions): Promise<void> {
    return new Promise((resolve, reject) => {
      const leave = (err: Error) => {
        clearTimeout(timer);
        signal?.removeEventListener('abort', onAbort);
        const at = this.waiters.indexOf(waiter);
        if (at >= 0) this.waiters.splice(at, 1);
        this.onLeave();
        reject(err);
      };
      const onAbort = () =>
        leave(signal?.reason instanceof Error ? signal.reason : new Error('aborted'));
      const waiter: Waiter<T> = {
        value,
        admit: () => {
          clearTimeout(timer);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      const timer = setTimeout(() => leave(busy(busyMessage)), Math.max(0, until - Date.now()));
      signal?.addEventListener('abort', onAbort, { once: true });
      this.waiters.push(waiter);
    });
  }
}
