import { createHash } from 'node:crypto';
import { HashingCollector } from '../../src/http/hashing-collector';

const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
const body = Buffer.from(Array.from({ length: 1000 }, (_, i) => i % 251));
const feed = (collector: HashingCollector) => {
  for (let at = 0; at < body.length; at += 97) collector.add(body.subarray(at, at + 97));
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
    expect(upload.data.equals(body)).toBe(true);
    expect(upload.sha256).toBe(sha(body));
    expect(upload.sha256).toBe(sha(body));
  });
});
