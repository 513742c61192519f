import {
  MAX_POOLED_BYTES,
  MIN_POOLED_BYTES,
  createUploadBuffers,
} from '../../src/capacity/upload-buffers';

const MiB = 1024 * 1024;

describe('upload buffers', () => {
  it('hands a given-back buffer to the next upload of its class (sizes rounded up to a MiB)', () => {
    const pool = createUploadBuffers(32 * MiB);
    const first = pool.lease();
    const a = first.take(1.5 * MiB);
    expect(a.length).toBe(1.5 * MiB);
    first.end();
    expect(pool.idleBytes).toBe(2 * MiB);
    const b = pool.lease().take(2 * MiB - 1);
    expect(b.buffer).toBe(a.buffer);
    expect(b.length).toBe(2 * MiB - 1);
    expect(pool.idleBytes).toBe(0);
  });

  it('never hands out a buffer whose lease has not ended', () => {
    const pool = createUploadBuffers(32 * MiB);
    const held = pool.lease().take(3 * MiB);
    const second = pool.lease().take(3 * MiB);
    expect(second.buffer).not.toBe(held.buffer);
  });

  it('keeps at most its idle budget, and nothing at 0 (UPLOAD_BUFFER_POOL_BYTES=0)', () => {
    const pool = createUploadBuffers(4 * MiB);
    const leases = [pool.lease(), pool.lease(), pool.lease()];
    leases.forEach((l) => l.take(2 * MiB));
    leases.forEach((l) => l.end());
    expect(pool.idleBytes).toBe(4 * MiB);
    const off = createUploadBuffers(0);
    const lease = off.lease();
    lease.take(2 * MiB);
    lease.end();
    expect(off.idleBytes).toBe(0);
  });

  it('makes room for a buffer that comes back to a full pool with idle ones of other sizes', () => {
    const pool = createUploadBuffers(8 * MiB);
    const large = [pool.lease(), pool.lease()];
    large.forEach((l) => l.take(4 * MiB));
    large.forEach((l) => l.end());
    expect(pool.idleBytes).toBe(8 * MiB);
    const small = pool.lease();
    const taken = small.take(MiB);
    small.end();
    expect(pool.idleBytes).toBe(5 * MiB);
    expect(pool.lease().take(MiB).buffer).toBe(taken.buffer);
  });

  it('keeps the other sizes when its own size alone fills the pool', () => {
    const pool = createUploadBuffers(5 * MiB);
    const small = pool.lease();
    small.take(MiB);
    small.end();
    const large = [pool.lease(), pool.lease(), pool.lease()];
    large.forEach((l) => l.take(2 * MiB));
    large.forEach((l) => l.end());
    // Two of them fit beside the 1 MiB one; the third is dropped, not the 1 MiB one.
    expect(pool.idleBytes).toBe(5 * MiB);
    expect(pool.lease().take(MiB).length).toBe(MiB);
    expect(pool.idleBytes).toBe(4 * MiB); // the 1 MiB one was still there
  });

  it('counts a pooled upload at its class, and rounds up none it could never keep', () => {
    const pool = createUploadBuffers(32 * MiB);
    expect(pool.footprint(1.5 * MiB)).toBe(2 * MiB);
    expect(pool.footprint(100_000)).toBe(100_000);
    expect(pool.footprint(MAX_POOLED_BYTES + 1)).toBe(MAX_POOLED_BYTES + 1);
    const tight = createUploadBuffers(1.5 * MiB);
    expect(tight.footprint(1_250_000)).toBe(1_250_000);
    const lease = tight.lease();
    expect(lease.take(1_250_000).buffer.byteLength).toBe(1_250_000);
    lease.end();
    expect(tight.idleBytes).toBe(0);
  });

  it.each([
    ['a small upload', MIN_POOLED_BYTES],
    ['a large upload', MAX_POOLED_BYTES + 1],
  ])('does not pool %s', (_what, size) => {
    const pool = createUploadBuffers(64 * MiB);
    const lease = pool.lease();
    expect(lease.take(size).length).toBe(size);
    lease.end();
    expect(pool.idleBytes).toBe(0);
  });

  it('ends once, and a late reader gets a buffer of its own', () => {
    const pool = createUploadBuffers(32 * MiB);
    const lease = pool.lease();
    const taken = lease.take(MiB);
    lease.end();
    lease.end();
    expect(pool.idleBytes).toBe(MiB);
    const late = pool.lease();
    late.end();
    expect(late.take(MiB).buffer).not.toBe(taken.buffer);
    expect(pool.idleBytes).toBe(MiB);
    expect(() => late.take(MiB)).toThrow(/one buffer/);
  });
});
