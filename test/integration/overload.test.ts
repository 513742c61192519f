import { heldPipeline } from '../support/held-pipeline';
import * as images from '../support/images';
import { listen, until } from '../support/listen';
import { useS3 } from '../support/s3-server';
import { buildTestApp, inMemory } from '../support/test-app';

// The rules of capacity are proven on a fake clock in test/unit/capacity.test.ts. Here they are
// proven through real HTTP: one real end-to-end overload of 12 MP uploads into S3, then each
// limit with a pipeline that holds its jobs until the test lets them go, so no test depends on
// how fast this machine encodes.

const s3 = useS3();
let photo12mp: Buffer;
beforeAll(async () => {
  photo12mp = await images.jpeg(4000, 3000);
});

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
    // Admission is under test, not waiting in line: the queue waits as long as it needs.
    const built = buildTestApp(s3, {
      MAX_CONCURRENT_JOBS: '2',
      MAX_QUEUED_JOBS: '4',
      MAX_QUEUE_WAIT_MS: '30000',
    });
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
      MAX_QUEUE_WAIT_MS: '30000',
    });
    const server = await listen(built);
    let peakReserved = 0;
    let peakWaiting = 0;
    const watch = setInterval(() => {
      const { uploadMemoryReserved: reservedBytes, uploadsWaitingForMemory: waiting } =
        built.capacity.stats();
      peakReserved = Math.max(peakReserved, reservedBytes);
      peakWaiting = Math.max(peakWaiting, waiting);
    }, 2);
    try {
      const outcomes = await Promise.all(bodies.map((body) => upload(server.url, body)));
      expect(outcomes.map((o) => o.status)).toEqual([201, 201, 201, 201]);
      expect(peakWaiting).toBeGreaterThanOrEqual(1);
      expect(peakReserved).toBeGreaterThan(0);
      expect(peakReserved).toBeLessThanOrEqual(budget);
      expect(await until(() => built.capacity.stats().uploadMemoryReserved === 0, 2000)).toBe(true);
      expect(await built.registry.metrics()).toMatch(/image_upload_memory_reserved_bytes 0\b/);
    } finally {
      clearInterval(watch);
      await server.close();
    }
  });

  it('504 PROCESSING_TIMEOUT at REQUEST_DEADLINE_MS; the slot stays taken until the work stops', async () => {
    const held = heldPipeline();
    const built = buildTestApp(
      inMemory(),
      { MAX_CONCURRENT_JOBS: '1', REQUEST_DEADLINE_MS: '1000' },
      { pipeline: held.pipeline },
    );
    const server = await listen(built);
    try {
      const slow = await upload(server.url, await images.jpeg(64, 48), 'widths=32');
      expect([slow.status, slow.code]).toEqual([504, 'PROCESSING_TIMEOUT']);
      expect(slow.ms).toBeGreaterThanOrEqual(950);
      expect(slow.ms).toBeLessThan(2000);
      // Like an encoder that cannot be interrupted: the CPU bound holds until it returns, and so
      // does the memory bound (the work still references the upload's bytes).
      expect(built.capacity.stats().running).toBe(1);
      expect(built.capacity.stats().uploadMemoryReserved).toBeGreaterThan(0);
      held.letGo();
      expect(await until(() => built.capacity.stats().running === 0, 2000)).toBe(true);
      expect(await until(() => built.capacity.stats().uploadMemoryReserved === 0, 2000)).toBe(true);
      const next = await upload(server.url, await images.jpeg(64, 48), 'widths=16');
      expect(next.status).toBe(201);
    } finally {
      held.letGo();
      await server.close();
    }
  });

  it('503 SERVER_BUSY after MAX_QUEUE_WAIT_MS in line, well before the deadline', async () => {
    const held = heldPipeline();
    const built = buildTestApp(
      inMemory(),
      { MAX_CONCURRENT_JOBS: '1', MAX_QUEUED_JOBS: '2', MAX_QUEUE_WAIT_MS: '300' },
      { pipeline: held.pipeline },
    );
    const server = await listen(built);
    try {
      const first = upload(server.url, await images.jpeg(64, 48), 'widths=32');
      expect(await until(() => held.started() === 1, 2000)).toBe(true);
      const second = await upload(server.url, await images.jpeg(64, 48), 'widths=16');
      expect([second.status, second.code, second.retryAfter]).toEqual([503, 'SERVER_BUSY', '1']);
      expect(second.ms).toBeGreaterThanOrEqual(250);
      expect(second.ms).toBeLessThan(1500);
      held.letGo();
      expect((await first).status).toBe(201);
    } finally {
      held.letGo();
      await server.close();
    }
  });

  it('drops a queued job whose client went away: its image is never processed', async () => {
    const held = heldPipeline();
    const built = buildTestApp(
      inMemory(),
      { MAX_CONCURRENT_JOBS: '1', MAX_QUEUE_WAIT_MS: '20000' },
      { pipeline: held.pipeline },
    );
    const server = await listen(built);
    try {
      const first = upload(server.url, await images.jpeg(64, 48), 'widths=32');
      expect(await until(() => held.started() === 1, 2000)).toBe(true);
      const controller = new AbortController();
      const abandoned = fetch(`${server.url}/v1/images?widths=16`, {
        method: 'POST',
        headers: { 'Content-Type': 'image/jpeg' },
        body: await images.jpeg(48, 32),
        signal: controller.signal,
      }).catch(() => 'aborted');
      expect(await until(() => built.capacity.stats().queued === 1, 2000)).toBe(true);
      controller.abort();
      expect(await abandoned).toBe('aborted');
      expect(await until(() => built.capacity.stats().queued === 0, 2000)).toBe(true);
      held.letGo();
      expect((await first).status).toBe(201);
      expect(held.started()).toBe(1);
      expect(await built.registry.metrics()).toContain(
        'http_requests_rejected_total{code="CLIENT_CLOSED_REQUEST"} 1',
      );
    } finally {
      held.letGo();
      await server.close();
    }
  });

  it('one deadline per request: time spent waiting for upload memory counts against it', async () => {
    const held = heldPipeline();
    const body = await images.jpeg(64, 48);
    const budget = body.length + 100;
    const built = buildTestApp(
      inMemory(),
      {
        MAX_CONCURRENT_JOBS: '2',
        MAX_UPLOAD_BYTES: String(budget),
        MAX_UPLOAD_MEMORY_BYTES: String(budget),
        REQUEST_DEADLINE_MS: '1500',
        MAX_QUEUE_WAIT_MS: '1500',
      },
      { pipeline: held.pipeline },
    );
    const server = await listen(built);
    try {
      // The first holds the only upload memory: past its 504 at 1.5 s too, since its work goes
      // on. The second waits in line for that memory (MAX_QUEUE_WAIT_MS is as long as the
      // deadline): its own deadline, fixed at admission, ends the wait, not a timer of the line's.
      const first = upload(server.url, body, 'widths=32');
      expect(await until(() => held.started() === 1, 2000)).toBe(true);
      const second = await upload(server.url, images.withComment(body, 'second'), 'widths=16');
      expect([second.status, second.code]).toEqual([503, 'SERVER_BUSY']);
      expect(second.ms).toBeLessThan(1500 + 300);
      expect((await first).status).toBe(504);
    } finally {
      held.letGo();
      await server.close();
    }
  });
});
