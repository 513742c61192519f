import { createHash } from 'node:crypto';
import { once } from 'node:events';
import { request as httpRequest } from 'node:http';
import { connect } from 'node:net';
import { digestOf } from '../../src/domain/content-digest';
import { heldPipeline } from '../support/held-pipeline';
import * as images from '../support/images';
import { listen, sleep, until, watchSocket } from '../support/listen';
import { buildTestApp, inMemory } from '../support/test-app';

// Upload buffers are reused across requests (src/capacity/upload-buffers.ts): a mistake there
// would hand one client's bytes to another's job. The 504, 408 and slot-wait tests each fail on
// one way a buffer could be shared while still in use (they compare the bytes each job reads);
// the others show that reuse changes no answer. Uploads of ~0.6-1 MiB, so each one is pooled.

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
      expect([res.status, json.id, json.source.bytes]).toEqual([201, digestOf(b), b.length]);
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

  it("bytes that arrive after a 408 never land in the next upload's buffer", async () => {
    const seen: string[] = [];
    const held = heldPipeline((input) => seen.push(sha(input)));
    held.letGo();
    const built = buildTestApp(
      inMemory(),
      { REQUEST_TIMEOUT_MS: '1000' },
      { pipeline: held.pipeline },
    );
    const server = await listen(built);
    // A raw socket that keeps sending after the server's answer (and its FIN), as a client
    // that does not read its answer does; the server reads on for a while (it lingers so that
    // the 408 is not lost to a reset).
    const slow = connect({ port: server.port, host: '127.0.0.1', allowHalfOpen: true });
    const watched = watchSocket(slow);
    try {
      await once(slow, 'connect');
      slow.write(
        `POST /v1/resize?widths=300 HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\n` +
          `Content-Length: ${a.length}\r\n\r\n`,
      );
      slow.write(a.subarray(0, a.length / 2));
      expect(await until(() => watched.status() === 408, 3000)).toBe(true);
      expect(await until(() => built.uploadBuffers.idleBytes > 0, 2000)).toBe(true);
      // B takes that buffer; while B is being read, the rest of A arrives.
      const next = httpRequest(`${server.url}/v1/resize?widths=300`, {
        method: 'POST',
        headers: { 'Content-Type': 'image/jpeg', 'Content-Length': b.length },
      });
      const answer = new Promise<number>((resolve, reject) => {
        next.on('response', (res) => resolve(res.resume().statusCode ?? 0));
        next.on('error', reject);
      });
      await new Promise((resolve) => next.write(b.subarray(0, b.length - 1024), resolve));
      expect(await until(() => built.uploadBuffers.idleBytes === 0, 2000)).toBe(true);
      await sleep(200); // B's bytes so far are in the buffer
      await new Promise((resolve) => slow.write(a.subarray(a.length / 2), resolve));
      await sleep(200);
      next.end(b.subarray(b.length - 1024));
      expect(await answer).toBe(200);
      expect(seen).toEqual([sha(b)]);
    } finally {
      slow.destroy();
      await server.close();
    }
  });

  it('a client that leaves while its job waits for a slot: the job never runs', async () => {
    const seen: string[] = [];
    const held = heldPipeline((input) => seen.push(sha(input)));
    const built = buildTestApp(
      inMemory(),
      { MAX_CONCURRENT_JOBS: '1', MAX_QUEUE_WAIT_MS: '30000' },
      { pipeline: held.pipeline },
    );
    const server = await listen(built);
    try {
      const small = await images.jpeg(64, 48);
      const first = resize(server.url, small); // holds the only slot
      await until(() => held.started() === 1, 2000);
      const leaving = httpRequest(`${server.url}/v1/resize?widths=300`, {
        method: 'POST',
        headers: { 'Content-Type': 'image/jpeg', 'Content-Length': a.length },
      });
      leaving.on('error', () => undefined);
      leaving.end(a);
      expect(await until(() => built.capacity.stats().queued === 1, 2000)).toBe(true);
      leaving.destroy();
      expect(await until(() => built.uploadBuffers.idleBytes > 0, 2000)).toBe(true);
      const next = resize(server.url, b); // into the buffer the one that left gave back
      expect(await until(() => built.capacity.stats().queued === 1, 2000)).toBe(true);
      held.letGo();
      expect((await first).status).toBe(200);
      expect((await next).status).toBe(200);
      expect(seen).toEqual([sha(small), sha(b)]);
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
