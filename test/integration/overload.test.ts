import * as images from '../support/images';
import { listen, until } from '../support/listen';
import { startS3, type TestS3 } from '../support/s3-server';
import { buildTestApp } from '../support/test-app';

let s3: TestS3;
let photo12mp: Buffer;
beforeAll(async () => {
  s3 = await startS3();
  photo12mp = await images.jpeg(4000, 3000);
});
afterAll(async () => {
  await s3.stop();
});

// A job that holds its slot for seconds: a 1600 px AVIF from 12 MP at libvips' default effort
// (~4.5 s of one core here), longer than these tests' deadlines.
const HOG = { AVIF_EFFORT: '4' };

interface Outcome {
  status: number;
  ms: number;
  code?: string;
  retryAfter: string | null;
}

async function upload(url: string, body: Buffer, query = 'widths=320,640'): Promise<Outcome> {
  const started = Date.now();
  const res = await fetch(`${url}/v1/images?${query}`, {
    method: 'POST',
    headers: { 'Content-Type': 'image/jpeg' },
    body,
  });
  const json = (await res.json()) as { error?: { code: string } };
  return {
    status: res.status,
    ms: Date.now() - started,
    code: json.error?.code,
    retryAfter: res.headers.get('retry-after'),
  };
}

describe('overload', () => {
  it('30 simultaneous 12 MP uploads with 2 slots and 4 queue places: 201s and fast 503s, nothing else', async () => {
    const built = buildTestApp(s3, { MAX_CONCURRENT_JOBS: '2', MAX_QUEUED_JOBS: '4' });
    const server = await listen(built);
    try {
      const bodies = Array.from({ length: 30 }, (_, i) =>
        images.withComment(photo12mp, `upload ${i} ${Date.now()}`),
      );
      const outcomes = await Promise.all(bodies.map((body) => upload(server.url, body)));
      const created = outcomes.filter((o) => o.status === 201);
      const shed = outcomes.filter((o) => o.status === 503);
      expect(created.length + shed.length).toBe(30);
      expect(created.length).toBeGreaterThanOrEqual(6);
      expect(shed.length).toBeGreaterThan(0);
      for (const o of shed) expect([o.code, o.retryAfter]).toEqual(['SERVER_BUSY', '1']);
      // Shed requests are answered before any admitted one is done: no waiting, no body read.
      expect(Math.max(...shed.map((o) => o.ms))).toBeLessThan(
        Math.min(...created.map((o) => o.ms)),
      );
      const metrics = await built.registry.metrics();
      expect(metrics).toContain(`http_requests_rejected_total{code="SERVER_BUSY"} ${shed.length}`);
      expect(metrics).toMatch(/image_jobs_running 0\b/);
      expect(metrics).toMatch(/image_jobs_queued 0\b/);
      expect(metrics).toMatch(/image_requests_admitted 0\b/);
    } finally {
      await server.close();
    }
  });

  it('uploads beyond MAX_UPLOAD_MEMORY_BYTES wait unread for their turn, then all succeed', async () => {
    const bodies = Array.from({ length: 4 }, (_, i) =>
      images.withComment(photo12mp, `memory ${i} ${Date.now()}`),
    );
    const largest = Math.max(...bodies.map((b) => b.length));
    // Room for one upload at a time; four slots, so memory is the only thing that makes them wait.
    const budget = largest + 1000;
    const built = buildTestApp(s3, {
      MAX_CONCURRENT_JOBS: '4',
      MAX_UPLOAD_BYTES: String(budget),
      MAX_UPLOAD_MEMORY_BYTES: String(budget),
    });
    const server = await listen(built);
    let peakReserved = 0;
    let peakWaiting = 0;
    const watch = setInterval(() => {
      const { reservedBytes, waiting } = built.uploadMemory.stats();
      peakReserved = Math.max(peakReserved, reservedBytes);
      peakWaiting = Math.max(peakWaiting, waiting);
    }, 2);
    try {
      const outcomes = await Promise.all(bodies.map((body) => upload(server.url, body)));
      expect(outcomes.map((o) => o.status)).toEqual([201, 201, 201, 201]);
      expect(peakWaiting).toBeGreaterThanOrEqual(1);
      expect(peakReserved).toBeGreaterThan(0);
      expect(peakReserved).toBeLessThanOrEqual(budget);
      expect(await until(() => built.uploadMemory.stats().reservedBytes === 0, 2000)).toBe(true);
      expect(await built.registry.metrics()).toMatch(/image_upload_memory_reserved_bytes 0\b/);
    } finally {
      clearInterval(watch);
      await server.close();
    }
  });

  it('504 PROCESSING_TIMEOUT when the work outlasts REQUEST_DEADLINE_MS, and the service recovers', async () => {
    const built = buildTestApp(s3, {
      ...HOG,
      MAX_CONCURRENT_JOBS: '1',
      REQUEST_DEADLINE_MS: '1000',
    });
    const server = await listen(built);
    try {
      // The encoder cannot be interrupted (libvips' timeout only acts between pixel regions), so
      // the client gets its 504 on time while the slot stays taken until the encoder is done:
      // the CPU bound holds.
      const slow = await upload(
        server.url,
        images.withComment(photo12mp, `slow ${Date.now()}`),
        'widths=1600&format=avif',
      );
      expect([slow.status, slow.code]).toEqual([504, 'PROCESSING_TIMEOUT']);
      expect(slow.ms).toBeLessThan(5000);
      expect(built.limiter.stats().running).toBe(1);
      expect(await until(() => built.limiter.stats().running === 0, 20_000)).toBe(true);
      const next = await upload(server.url, await images.jpeg(200, 100), 'widths=50');
      expect(next.status).toBe(201);
      expect(await s3.listKeys()).not.toContainEqual(expect.stringContaining('w1600-q80.avif'));
    } finally {
      await server.close();
    }
  });

  it('503 SERVER_BUSY when no slot frees up within MAX_QUEUE_WAIT_MS', async () => {
    const built = buildTestApp(s3, {
      ...HOG,
      MAX_CONCURRENT_JOBS: '1',
      MAX_QUEUED_JOBS: '2',
      MAX_QUEUE_WAIT_MS: '300',
      REQUEST_DEADLINE_MS: '1500',
    });
    const server = await listen(built);
    try {
      const first = upload(
        server.url,
        images.withComment(photo12mp, `hog ${Date.now()}`),
        'widths=1600&format=avif',
      );
      // The hog must hold the only slot before the second request arrives.
      expect(await until(() => built.limiter.stats().running === 1, 10_000)).toBe(true);
      const second = await upload(server.url, await images.jpeg(200, 100), 'widths=50');
      expect([second.status, second.code, second.retryAfter]).toEqual([503, 'SERVER_BUSY', '1']);
      // Shed after its wait in line, not at its deadline.
      expect(second.ms).toBeLessThan(1200);
      expect((await first).status).toBe(504);
      await until(() => built.limiter.stats().running === 0, 20_000);
    } finally {
      await server.close();
    }
  });

  it('drops a queued job whose client went away: its image is never processed', async () => {
    const built = buildTestApp(s3, {
      ...HOG,
      MAX_CONCURRENT_JOBS: '1',
      REQUEST_DEADLINE_MS: '20000',
      MAX_QUEUE_WAIT_MS: '20000',
    });
    const server = await listen(built);
    try {
      const first = upload(
        server.url,
        images.withComment(photo12mp, `busy ${Date.now()}`),
        'widths=1600&format=avif',
      );
      expect(await until(() => built.limiter.stats().running === 1, 10_000)).toBe(true);
      const controller = new AbortController();
      const abandoned = fetch(`${server.url}/v1/images?widths=64`, {
        method: 'POST',
        headers: { 'Content-Type': 'image/jpeg' },
        body: await images.jpeg(300, 200),
        signal: controller.signal,
      }).catch(() => 'aborted');
      expect(await until(() => built.limiter.stats().queued === 1, 10_000)).toBe(true);
      controller.abort();
      expect(await abandoned).toBe('aborted');
      expect(await until(() => built.limiter.stats().queued === 0, 5000)).toBe(true);
      expect((await first).status).toBe(201);
      const metrics = await built.registry.metrics();
      expect(metrics).toMatch(/image_processing_duration_seconds_count\{format="avif"\} 1\b/);
      expect(metrics).not.toMatch(/image_processing_duration_seconds_count\{format="jpeg"\}/);
      expect(metrics).toContain('http_requests_rejected_total{code="CLIENT_CLOSED_REQUEST"} 1');
    } finally {
      await server.close();
    }
  });

  it('one deadline per request: time spent waiting for upload memory counts against it', async () => {
    const hog = images.withComment(photo12mp, `memory hog ${Date.now()}`);
    const budget = hog.length + 1000;
    // Room for one upload's body and one slot; waits in line may use the whole deadline.
    const built = buildTestApp(s3, {
      ...HOG,
      MAX_CONCURRENT_JOBS: '1',
      MAX_UPLOAD_BYTES: String(budget),
      MAX_UPLOAD_MEMORY_BYTES: String(budget),
      REQUEST_DEADLINE_MS: '2000',
      MAX_QUEUE_WAIT_MS: '2000',
    });
    const server = await listen(built);
    try {
      const first = upload(server.url, hog, 'widths=1600&format=avif');
      expect(await until(() => built.limiter.stats().running === 1, 10_000)).toBe(true);
      // Waits for the memory the hog holds until the hog's 504, then for the slot or its own
      // slow work: whichever stage its deadline finds it in answers (503 waiting, 504 working),
      // by the deadline. Before, each wait and the work started a timer of its own.
      const second = await upload(
        server.url,
        images.withComment(photo12mp, `second ${Date.now()}`),
        'widths=1600&format=avif',
      );
      expect([503, 504]).toContain(second.status);
      expect(second.ms).toBeLessThan(2000 + 500);
      expect((await first).status).toBe(504);
      expect(await until(() => built.limiter.stats().running === 0, 20_000)).toBe(true);
    } finally {
      await server.close();
    }
  });
});
