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
    head: (key) =>
      timed(
        'head',
        () => store.head(key),
        (v) => (v ? 'found' : 'not_found'),
      ),
    put: (input) =>
      timed(
        'put',
        () => store.put(input),
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
