import { createHash } from 'node:crypto';
import { request as httpRequest } from 'node:http';
import { heldPipeline } from '../support/held-pipeline';
import * as images from '../support/images';
import { listen, until } from '../support/listen';
import { buildTestApp, inMemory } from '../support/test-app';

// Upload buffers are reused across requests (src/capacity/upload-buffers.ts): a mistake there
// would hand one client's bytes to another's job. Each test here fails if a buffer is given back
// too early or its stale bytes are seen. Uploads of ~0.6-1 MiB, so each one is pooled.

const MiB = 1024 * 1024;
const sha = (b: Buffer) => createHash('sha256').update(b).digest('hex');
let a: Buffer;
let b: Buffer;
beforeAll(async () => {
  const grainy = async (seed: number) =>
    (await images.photo(1200, 900, { seed, grain: 60 })).jpeg({ quality: 95 }).toBuffer();
  [a, b] = [await grainy(11), await grainy(12)];
  // Same MiB class, the second shorter: the first leaves bytes past the second's end.
  if (b.length > a.length) [a, b] = [b, a];
  expect(Math.ceil(a.length / MiB)).toBe(Math.ceil(b.length / MiB));
  expect(b.length).toBeGreaterThan(MiB / 2);
});

const resize = async (url: string, body: Buffer) => {
  const res = await fetch(`${url}/v1/resize?widths=300`, {
    method: 'POST',
    headers: { 'Content-Type': 'image/jpeg' },
    body,
  });
  return { status: res.status, bytes: Buffer.from(await res.arrayBuffer()) };
};

describe('upload buffers reused across requests', () => {
  it('each answer is made from its own upload: the same bytes as with no pool', async () => {
    const pooled = buildTestApp(inMemory());
    const unpooled = buildTestApp(inMemory(), { UPLOAD_BUFFER_POOL_BYTES: '0' });
    const [server, reference] = [await listen(pooled), await listen(unpooled)];
    try {
      const first = await resize(server.url, a);
      await until(() => pooled.uploadBuffers.idleBytes > 0, 2000);
      const idle = pooled.uploadBuffers.idleBytes;
      expect(idle).toBeGreaterThan(0);
      // Through the buffer the first one left, longer than this upload.
      const second = await resize(server.url, b);
      expect(first.status).toBe(200);
      expect(second.status).toBe(200);
      expect(second.bytes.equals((await resize(reference.url, b)).bytes)).toBe(true);
      expect(first.bytes.equals((await resize(reference.url, a)).bytes)).toBe(true);
      expect(unpooled.uploadBuffers.idleBytes).toBe(0);
      // Content address: the hash and size are the upload's, not the buffer's.
      const form = new FormData();
      form.append('image', new Blob([b]), 'b.jpg');
      const res = await fetch(`${server.url}/v1/images?widths=100`, { method: 'POST', body: form });
      const json = (await res.json()) as { id: string; source: { bytes: number } };
      expect([res.status, json.id, json.source.bytes]).toEqual([201, sha(b), b.length]);
      expect(pooled.uploadBuffers.idleBytes).toBe(idle);
    } finally {
      await server.close();
      await reference.close();
    }
  });

  it('a job still running after its 504 keeps its buffer: a later upload gets another', async () => {
    const seen: string[] = [];
    const held = heldPipeline((input) => seen.push(sha(input)));
    const built = buildTestApp(
      inMemory(),
      { MAX_CONCURRENT_JOBS: '2', REQUEST_DEADLINE_MS: '1000' },
      { pipeline: held.pipeline },
    );
    const server = await listen(built);
    try {
      expect((await resize(server.url, a)).status).toBe(504);
      expect(built.uploadBuffers.idleBytes).toBe(0);
      expect((await resize(server.url, b)).status).toBe(504);
      held.letGo();
      expect(await until(() => built.capacity.stats().running === 0, 5000)).toBe(true);
      // Each job read its own upload, though both answered long before their work ended.
      expect(seen.sort()).toEqual([sha(a), sha(b)].sort());
      const both = 2 * Math.ceil(a.length / MiB) * MiB;
      expect(await until(() => built.uploadBuffers.idleBytes === both, 2000)).toBe(true);
    } finally {
      held.letGo();
      await server.close();
    }
  });

  it('an upload cut off half-way gives its buffer back, and the next one is whole', async () => {
    const built = buildTestApp(inMemory());
    const server = await listen(built);
    try {
      await new Promise<void>((resolve) => {
        const req = httpRequest(`${server.url}/v1/resize?widths=300`, {
          method: 'POST',
          headers: { 'Content-Type': 'image/jpeg', 'Content-Length': a.length },
        });
        req.on('error', () => resolve());
        req.write(a.subarray(0, a.length / 2), () => setTimeout(() => req.destroy(), 50));
      });
      expect(await until(() => built.uploadBuffers.idleBytes > 0, 2000)).toBe(true);
      const next = await resize(server.url, b);
      expect(next.status).toBe(200);
      const reference = buildTestApp(inMemory(), { UPLOAD_BUFFER_POOL_BYTES: '0' });
      const other = await listen(reference);
      try {
        expect(next.bytes.equals((await resize(other.url, b)).bytes)).toBe(true);
      } finally {
        await other.close();
      }
    } finally {
      await server.close();
    }
  });
});
