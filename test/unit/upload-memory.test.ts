import { isAppError } from '../../src/errors/app-error';
import type { RequestScope } from '../../src/service/request-scope';
import { createUploadMemory } from '../../src/service/upload-memory';

const settle = () => new Promise((resolve) => setImmediate(resolve));
const scope = (deadlineMs = 60_000, signal = new AbortController().signal): RequestScope => ({
  deadline: Date.now() + deadlineMs,
  signal,
});

describe('upload memory', () => {
  it('grants within the budget at once and makes the rest wait, first come first served', async () => {
    const memory = createUploadMemory({ totalBytes: 100, maxWaitMs: 10_000 });
    const first = await memory.reserve(60, scope());
    const granted: string[] = [];
    const big = memory.reserve(70, scope()).then((release) => (granted.push('big'), release));
    // Fits beside the first, but must not overtake the larger upload that came before it.
    const small = memory.reserve(30, scope()).then((release) => (granted.push('small'), release));
    await settle();
    expect(granted).toEqual([]);
    expect(memory.stats()).toEqual({ reservedBytes: 60, waiting: 2 });

    first();
    first(); // a second release changes nothing
    await settle();
    expect(granted).toEqual(['big', 'small']);
    expect(memory.stats()).toEqual({ reservedBytes: 100, waiting: 0 });
    (await big)();
    (await small)();
    expect(memory.stats()).toEqual({ reservedBytes: 0, waiting: 0 });
  });

  it('caps a reservation at the whole budget, so it can always be served', async () => {
    const memory = createUploadMemory({ totalBytes: 100, maxWaitMs: 10_000 });
    const release = await memory.reserve(500, scope());
    expect(memory.stats().reservedBytes).toBe(100);
    release();
    expect(memory.stats().reservedBytes).toBe(0);
  });

  it('answers 503 SERVER_BUSY after waiting maxWaitMs, and lets those behind it go on', async () => {
    const memory = createUploadMemory({ totalBytes: 100, maxWaitMs: 50 });
    const held = await memory.reserve(90, scope());
    const started = Date.now();
    const late = memory.reserve(50, scope()).catch((err: unknown) => err);
    const err = await late;
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(isAppError(err) && [err.code, err.status]).toEqual(['SERVER_BUSY', 503]);
    expect(memory.stats()).toEqual({ reservedBytes: 90, waiting: 0 });
    held();
  });

  it('drops a waiting request whose client went away, and the next one moves up', async () => {
    const memory = createUploadMemory({ totalBytes: 100, maxWaitMs: 10_000 });
    const held = await memory.reserve(50, scope());
    const gone = new AbortController();
    const blocked = memory.reserve(80, scope(60_000, gone.signal)).catch((err: unknown) => err);
    const next = memory.reserve(40, scope());
    await settle();
    expect(memory.stats().waiting).toBe(2);
    gone.abort(new Error('client closed'));
    expect(((await blocked) as Error).message).toBe('client closed');
    (await next)();
    held();
    expect(memory.stats()).toEqual({ reservedBytes: 0, waiting: 0 });
  });

  it("never waits past the request's deadline, even when maxWaitMs is longer", async () => {
    const memory = createUploadMemory({ totalBytes: 100, maxWaitMs: 10_000 });
    const held = await memory.reserve(90, scope());
    const started = Date.now();
    const err = await memory.reserve(50, scope(80)).catch((e: unknown) => e);
    expect(Date.now() - started).toBeLessThan(1000);
    expect(isAppError(err) && err.code).toBe('SERVER_BUSY');
    held();
  });
});
