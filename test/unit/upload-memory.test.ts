import { isAppError } from '../../src/errors/app-error';
import { createUploadMemory } from '../../src/service/upload-memory';

const settle = () => new Promise((resolve) => setImmediate(resolve));

describe('upload memory', () => {
  it('grants within the budget at once and makes the rest wait, first come first served', async () => {
    const memory = createUploadMemory({ totalBytes: 100, waitMs: 10_000 });
    const first = await memory.reserve(60);
    const granted: string[] = [];
    const big = memory.reserve(70).then((release) => (granted.push('big'), release));
    // Fits beside the first, but must not overtake the larger upload that came before it.
    const small = memory.reserve(30).then((release) => (granted.push('small'), release));
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
    const memory = createUploadMemory({ totalBytes: 100, waitMs: 10_000 });
    const release = await memory.reserve(500);
    expect(memory.stats().reservedBytes).toBe(100);
    release();
    expect(memory.stats().reservedBytes).toBe(0);
  });

  it('answers 503 SERVER_BUSY after waiting waitMs, and lets those behind it go on', async () => {
    const memory = createUploadMemory({ totalBytes: 100, waitMs: 50 });
    const held = await memory.reserve(90);
    const started = Date.now();
    const late = memory.reserve(50).catch((err: unknown) => err);
    const err = await late;
    expect(Date.now() - started).toBeGreaterThanOrEqual(45);
    expect(isAppError(err) && [err.code, err.status]).toEqual(['SERVER_BUSY', 503]);
    expect(memory.stats()).toEqual({ reservedBytes: 90, waiting: 0 });
    held();
  });

  it('drops a waiting request whose client went away, and the next one moves up', async () => {
    const memory = createUploadMemory({ totalBytes: 100, waitMs: 10_000 });
    const held = await memory.reserve(50);
    const gone = new AbortController();
    const blocked = memory.reserve(80, gone.signal).catch((err: unknown) => err);
    const next = memory.reserve(40);
    await settle();
    expect(memory.stats().waiting).toBe(2);
    gone.abort(new Error('client closed'));
    expect(((await blocked) as Error).message).toBe('client closed');
    (await next)();
    held();
    expect(memory.stats()).toEqual({ reservedBytes: 0, waiting: 0 });
  });
});
