import { Histogram, Registry } from 'prom-client';
import type { ImageStore, PutObjectInput } from '../../src/storage/image-store';
import { instrumentStore } from '../../src/storage/instrumented-store';

/** An in-memory store that remembers the signal each operation was given. */
function recordingStore() {
  const signals: Record<string, AbortSignal | undefined> = {};
  const store: ImageStore = {
    head(_key, signal) {
      signals.head = signal;
      return Promise.resolve(undefined);
    },
    put(_input, signal) {
      signals.put = signal;
      return Promise.resolve();
    },
    ping: () => Promise.resolve(),
  };
  return { store, signals };
}

const histogram = () =>
  new Histogram({
    name: 's3_operation_duration_seconds',
    help: 'test',
    labelNames: ['operation', 'outcome'],
    registers: [new Registry()],
  });

const input: PutObjectInput = {
  key: 'k',
  body: Buffer.from('x'),
  contentType: 'image/png',
  cacheControl: 'no-cache',
  metadata: {},
};

describe('instrumentStore', () => {
  it('passes the abort signal through to head and put, so a gone client cancels S3 work', async () => {
    const { store, signals } = recordingStore();
    const instrumented = instrumentStore(store, histogram());
    const controller = new AbortController();
    await instrumented.head('k', controller.signal);
    await instrumented.put(input, controller.signal);
    expect(signals.head).toBe(controller.signal);
    expect(signals.put).toBe(controller.signal);
  });

  it('still times each operation with its outcome', async () => {
    const { store } = recordingStore();
    const duration = histogram();
    const instrumented = instrumentStore(store, duration);
    await instrumented.head('k');
    await instrumented.put(input);
    const counts = (await duration.get()).values
      .filter((v) => v.metricName === 's3_operation_duration_seconds_count')
      .map((v) => [v.labels.operation, v.labels.outcome, v.value]);
    expect(counts).toEqual([
      ['head', 'not_found', 1],
      ['put', 'success', 1],
    ]);
  });
});
