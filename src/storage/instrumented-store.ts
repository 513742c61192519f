import type { Histogram } from 'prom-client';
import type { ImageStore } from './image-store';

/** Wraps any ImageStore so every operation is timed with its outcome, whatever the backend. */
export function instrumentStore(
  store: ImageStore,
  duration: Histogram<'operation' | 'outcome'>,
): ImageStore {
  async function timed<T>(operation: string, run: () => Promise<T>, outcomeOf: (v: T) => string) {
    const end = duration.startTimer({ operation });
    try {
      const value = await run();
      end({ outcome: outcomeOf(value) });
      return value;
    } catch (err) {
      end({ outcome: 'error' });
      throw err;
    }
  }
  return {
    // The signal goes through: a client that disconnects must cancel the S3 call it started.
    head: (key, signal) =>
      timed(
        'head',
        () => store.head(key, signal),
        (v) => (v ? 'found' : 'not_found'),
      ),
    put: (input, signal) =>
      timed(
        'put',
        () => store.put(input, signal),
        () => 'success',
      ),
    ping: () =>
      timed(
        'ping',
        () => store.ping(),
        () => 'success',
      ),
  };
}
