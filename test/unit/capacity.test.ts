import { createCapacity } from '../../src/capacity/capacity';
import { newScope, workStopped, type RequestScope } from '../../src/capacity/request-scope';
import { WeightedSemaphore } from '../../src/capacity/weighted-semaphore';
import { AppError } from '../../src/errors/app-error';

const realSetImmediate = setImmediate;

// Capacity is timing: every test here runs on jest's fake clock (timers and Date.now) and with
// work whose end the test decides, so it proves the rules without waiting and without flakes.
beforeEach(() => jest.useFakeTimers({ now: 1_000_000 }));
afterEach(() => jest.useRealTimers());

/** Lets queued promise callbacks run (fake timers do not advance microtasks). */
const settle = () => new Promise<void>((resolve) => realSetImmediate(resolve));

const scope = (deadlineMs = 60_000, signal = new AbortController().signal): RequestScope =>
  newScope(deadlineMs, signal);
const waitFor = (until = Date.now() + 60_000, signal = new AbortController().signal) => ({
  until,
  signal,
  busyMessage: 'busy',
});

/** A piece of work that ends when the test says so. */
function gate<T = string>() {
  let open!: (value: T) => void;
  let fail!: (err: unknown) => void;
  const promise = new Promise<T>((resolve, reject) => {
    open = resolve;
    fail = reject;
  });
  return { promise, open, fail };
}

const codeOf = (err: unknown) => (err instanceof AppError ? [err.code, err.status] : err);

describe('WeightedSemaphore', () => {
  it('grants within capacity at once, then first come first served: a heavy waiter is not overtaken', async () => {
    const sem = new WeightedSemaphore(100);
    const first = await sem.acquire(60, waitFor());
    const order: string[] = [];
    const heavy = sem.acquire(70, waitFor()).then((r) => (order.push('heavy'), r));
    // Fits beside the first, but must not overtake the heavier waiter that came before it.
    const light = sem.acquire(30, waitFor()).then((r) => (order.push('light'), r));
    await settle();
    expect([order, sem.inUse, sem.waiting]).toEqual([[], 60, 2]);
    first();
    first(); // a second release changes nothing
    await settle();
    expect([order, sem.inUse, sem.waiting]).toEqual([['heavy', 'light'], 100, 0]);
    (await heavy)();
    (await light)();
    expect(sem.inUse).toBe(0);
  });

  it('caps a weight at the whole capacity, so it can always be served', async () => {
    const sem = new WeightedSemaphore(100);
    const release = await sem.acquire(500, waitFor());
    expect(sem.inUse).toBe(100);
    release();
    expect(sem.inUse).toBe(0);
  });

  it('tryAcquire never jumps the line, even where the units are free', () => {
    const sem = new WeightedSemaphore(3);
    const held = sem.tryAcquire(2);
    expect(held).toBeDefined();
    void sem.acquire(2, waitFor()).catch(() => undefined);
    // One unit is free, but a waiter is ahead: taking it would starve the waiter.
    expect(sem.tryAcquire(1)).toBeUndefined();
    held?.();
  });

  it('a waiter leaves with 503 SERVER_BUSY at its `until`, and those behind it move up', async () => {
    const sem = new WeightedSemaphore(100);
    const held = await sem.acquire(50, waitFor());
    const blocked = sem.acquire(80, waitFor(Date.now() + 500)).catch((e: unknown) => e);
    const behind = sem.acquire(40, waitFor());
    await settle();
    jest.advanceTimersByTime(499);
    await settle();
    expect(sem.waiting).toBe(2);
    jest.advanceTimersByTime(1);
    expect(codeOf(await blocked)).toEqual(['SERVER_BUSY', 503]);
    (await behind)();
    held();
    expect([sem.inUse, sem.waiting]).toEqual([0, 0]);
  });

  it('a waiter whose client went away leaves with the signal reason', async () => {
    const sem = new WeightedSemaphore(1);
    const held = await sem.acquire(1, waitFor());
    const gone = new AbortController();
    const waiting = sem.acquire(1, waitFor(undefined, gone.signal)).catch((e: unknown) => e);
    await settle();
    gone.abort(new Error('client closed'));
    expect(((await waiting) as Error).message).toBe('client closed');
    expect(sem.waiting).toBe(0);
    held();
  });

  it('reports every change', async () => {
    const seen: number[] = [];
    const sem = new WeightedSemaphore(1, () => seen.push(sem.inUse * 10 + sem.waiting));
    const held = await sem.acquire(1, waitFor());
    const next = sem.acquire(1, waitFor());
    held();
    (await next)();
    expect(seen).toEqual([10, 11, 10, 0]);
  });
});

describe('capacity', () => {
  const options = { maxConcurrent: 2, maxQueued: 1, uploadMemoryBytes: 1000, maxWaitMs: 1000 };

  it('admits MAX_CONCURRENT_JOBS + MAX_QUEUED_JOBS requests, then refuses at once', () => {
    const capacity = createCapacity(options);
    const admitted = [capacity.admit(), capacity.admit(), capacity.admit()];
    expect(admitted.every(Boolean)).toBe(true);
    expect(capacity.admit()).toBeUndefined();
    admitted[0]?.();
    expect(capacity.admit()).toBeDefined();
  });

  it('runs jobs in slots; a job waits for one at most MAX_QUEUE_WAIT_MS, then 503', async () => {
    const capacity = createCapacity(options);
    const work = [gate(), gate()];
    const running = work.map((w) => capacity.runJob(() => w.promise, scope()));
    const third = capacity.runJob(() => Promise.resolve('never'), scope()).catch((e: unknown) => e);
    await settle();
    expect(capacity.stats()).toMatchObject({ running: 2, queued: 1 });
    jest.advanceTimersByTime(1000);
    expect(codeOf(await third)).toEqual(['SERVER_BUSY', 503]);
    work.forEach((w) => w.open('done'));
    expect(await Promise.all(running)).toEqual(['done', 'done']);
    expect(capacity.stats()).toMatchObject({ running: 0, queued: 0 });
  });

  it("never waits past the request's deadline, even when MAX_QUEUE_WAIT_MS is longer", async () => {
    const capacity = createCapacity({ ...options, maxConcurrent: 1, maxWaitMs: 10_000 });
    const hog = gate();
    void capacity.runJob(() => hog.promise, scope());
    const late = capacity
      .runJob(() => Promise.resolve('never'), scope(300))
      .catch((e: unknown) => e);
    await settle();
    jest.advanceTimersByTime(300);
    expect(codeOf(await late)).toEqual(['SERVER_BUSY', 503]);
    hog.open('done');
  });

  it('answers 504 at the deadline, but keeps the slot until the work has really stopped', async () => {
    const capacity = createCapacity({ ...options, maxConcurrent: 1 });
    const slow = gate();
    const request = scope(2000);
    const answer = capacity.runJob(() => slow.promise, request).catch((e: unknown) => e);
    await settle();
    jest.advanceTimersByTime(2000);
    expect(codeOf(await answer)).toEqual(['PROCESSING_TIMEOUT', 504]);
    expect(capacity.stats().running).toBe(1);
    // The request knows its work goes on, so what the work holds is not given back yet.
    let stopped = false;
    void workStopped(request).then(() => (stopped = true));
    await settle();
    expect([request.running.size, stopped]).toEqual([1, false]);
    slow.fail(new Error('stopped late')); // a late failure has no one to tell, and is no crash
    await settle();
    expect(capacity.stats().running).toBe(0);
    expect([request.running.size, stopped]).toEqual([0, true]);
  });

  it('one deadline: time spent waiting for upload memory counts against the job', async () => {
    const capacity = createCapacity({ ...options, maxConcurrent: 1, maxWaitMs: 5000 });
    const memoryHeld = await capacity.reserveUploadMemory(1000, scope());
    const request = scope(3000);
    const reserved = capacity.reserveUploadMemory(600, request);
    jest.advanceTimersByTime(2000);
    memoryHeld();
    (await reserved)();
    // 1 s of the deadline is left: the job's work gets that, not a fresh timer of its own.
    const work = gate();
    const answer = capacity.runJob(() => work.promise, request).catch((e: unknown) => e);
    await settle();
    jest.advanceTimersByTime(999);
    await settle();
    expect(capacity.stats().running).toBe(1);
    jest.advanceTimersByTime(1);
    expect(codeOf(await answer)).toEqual(['PROCESSING_TIMEOUT', 504]);
    work.open('done');
  });

  it('drops a queued job whose client went away: its work never runs', async () => {
    const capacity = createCapacity({ ...options, maxConcurrent: 1 });
    const hog = gate();
    void capacity.runJob(() => hog.promise, scope());
    const gone = new AbortController();
    const ran = jest.fn(() => Promise.resolve('ran'));
    const dropped = capacity.runJob(ran, scope(60_000, gone.signal)).catch((e: unknown) => e);
    await settle();
    gone.abort(new Error('client closed'));
    expect(((await dropped) as Error).message).toBe('client closed');
    hog.open('done');
    await settle();
    expect(ran).not.toHaveBeenCalled();
    expect(capacity.stats()).toMatchObject({ running: 0, queued: 0 });
  });

  it('reports its stats on every change, for the gauges', async () => {
    const seen: unknown[] = [];
    const capacity = createCapacity({ ...options, onChange: (s) => seen.push(s) });
    const release = capacity.admit();
    (await capacity.reserveUploadMemory(400, scope()))();
    release?.();
    expect(seen).toEqual([
      { admitted: 1, running: 0, queued: 0, uploadMemoryReserved: 0, uploadsWaitingForMemory: 0 },
      { admitted: 1, running: 0, queued: 0, uploadMemoryReserved: 400, uploadsWaitingForMemory: 0 },
      { admitted: 1, running: 0, queued: 0, uploadMemoryReserved: 0, uploadsWaitingForMemory: 0 },
      { admitted: 0, running: 0, queued: 0, uploadMemoryReserved: 0, uploadsWaitingForMemory: 0 },
    ]);
  });
});
