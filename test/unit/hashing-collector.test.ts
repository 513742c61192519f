import { createUploadBuffers } from '../../src/capacity/upload-buffers';
import { HashingCollector } from '../../src/http/hashing-collector';

// BLAKE3's own test vector for 1024 bytes of this pattern (test_vectors.json in the BLAKE3
// repository: the first 32 bytes of its output), so the digest is checked against the algorithm's
// authors, not against the library that computes it.
const body = Buffer.from(Array.from({ length: 1024 }, (_, i) => i % 251));
const BODY_DIGEST = '42214739f095a406f3fc83deb889744ac00df831c10daa55189b5d121c855af7';
const feed = (collector: HashingCollector, bytes = body) => {
  for (let at = 0; at < bytes.length; at += 97) collector.add(bytes.subarray(at, at + 97));
  return collector.finish();
};

describe('HashingCollector', () => {
  it.each([
    ['unknown size (chunked)', undefined, true],
    ['the announced size', 1024, true],
    ['a smaller announced size (falls back)', 500, true],
    ['a larger announced size', 4000, true],
    ['hashing only when asked', 1024, false],
    ['hashing only when asked, unknown size', undefined, false],
  ])('returns the exact bytes and their BLAKE3 digest for %s', (_what, expectedSize, hash) => {
    const upload = feed(new HashingCollector({ expectedSize, hashWhileReceiving: hash }));
    expect(upload?.data.equals(body)).toBe(true);
    expect(upload?.digest).toBe(BODY_DIGEST);
    expect(upload?.digest).toBe(BODY_DIGEST);
  });

  describe('with a reused buffer', () => {
    const big = Buffer.alloc(700_000, 1);
    const other = Buffer.alloc(650_000, 2);
    // What `b3sum` prints for these bytes.
    const OTHER_DIGEST = '224d3175820408b30e5ef8df7c9977b9ba160f57d1ac8f47c5443c6e4f4dc9ec';

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
      expect(upload?.digest).toBe(OTHER_DIGEST);
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
