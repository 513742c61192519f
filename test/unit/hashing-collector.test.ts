import { createHash } from 'node:crypto';
import { createUploadBuffers } from '../../src/capacity/upload-buffers';
import { HashingCollector } from '../../src/http/hashing-collector';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
const feed = (collector: HashingCollector, bytes = body) => {
  for (let at = 0; at < bytes.length; at += 97) collector.add(bytes.subarray(at, at + 97));
  return collector.finish();
};

describe('HashingCollector', () => {
  it.each([
    ['unknown size (chunked)', undefined, true],
    ['the announced size', 1000, true],
    ['a smaller announced size (falls back)', 500, true],
    ['a larger announced size', 4000, true],
    ['hashing only when asked', 1000, false],
    ['hashing only when asked, unknown size', undefined, false],
  ])('returns the exact bytes and their sha256 for %s', (_what, expectedSize, hash) => {
    const upload = feed(new HashingCollector({ expectedSize, hashWhileReceiving: hash }));
    expect(upload?.data.equals(body)).toBe(true);
    expect(upload?.sha256).toBe(sha(body));
    expect(upload?.sha256).toBe(sha(body));
  });

  describe('with a reused buffer', () => {
    const big = Buffer.alloc(700_000, 1);
    const other = Buffer.alloc(650_000, 2);

    it('exposes only what this upload wrote, not what the last one left', () => {
      const pool = createUploadBuffers(8 * 1024 * 1024);
      const first = pool.lease();
      expect(
        feed(
          new HashingCollector({
            expectedSize: big.length,
            hashWhileReceiving: true,
            lease: first,
          }),
          big,
        )?.data.equals(big),
      ).toBe(true);
      first.end();
      expect(pool.idleBytes).toBe(1024 * 1024);
      const second = pool.lease();
      const upload = feed(
        new HashingCollector({
          expectedSize: other.length,
          hashWhileReceiving: true,
          lease: second,
        }),
        other,
      );
      expect(pool.idleBytes).toBe(0); // the first one's buffer, again
      expect(upload?.data.length).toBe(other.length);
      expect(upload?.data.equals(other)).toBe(true);
      expect(upload?.sha256).toBe(sha(other));
    });

    it('writes nothing once the lease has ended, and has no upload to give', () => {
      const pool = createUploadBuffers(8 * 1024 * 1024);
      const late = pool.lease();
      const collector = new HashingCollector({
        expectedSize: big.length,
        hashWhileReceiving: false,
        lease: late,
      });
      collector.add(big.subarray(0, 1000));
      late.end();
      // The buffer is another request's now: it takes it and fills it.
      const next = pool.lease();
      const taken = next.take(other.length);
      taken.fill(2);
      collector.add(big.subarray(1000, 300_000));
      expect(taken.every((b) => b === 2)).toBe(true);
      expect(collector.finish()).toBeUndefined();
    });
  });
});
