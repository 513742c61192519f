import { createServer, type Socket } from 'node:net';
import { cutPutsProxy } from '../support/cut-puts-proxy';
import { listenOnLoopback } from '../support/listen';
import request from 'supertest';
import * as images from '../support/images';
import { startS3 } from '../support/s3-server';
import { buildTestApp } from '../support/test-app';

/** A TCP server that accepts connections and never answers: S3 hanging. */
async function blackHole(): Promise<{ endpoint: string; close: () => Promise<void> }> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('error', () => undefined);
  });
  const { url } = await listenOnLoopback(server);
  return {
    endpoint: url,
    close: async () => {
      for (const s of sockets) s.destroy();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}

const errorCode = (res: request.Response) => (res.body as { error: { code: string } }).error.code;

describe('S3 faults', () => {
  it('S3 hanging: 503 STORAGE_UNAVAILABLE, bounded by S3_TIMEOUT_MS x S3_MAX_ATTEMPTS', async () => {
    const hole = await blackHole();
    try {
      const { app } = buildTestApp(
        { env: { S3_ENDPOINT: hole.endpoint, S3_FORCE_PATH_STYLE: 'true' } },
        {
          S3_TIMEOUT_MS: '300',
          S3_MAX_ATTEMPTS: '2',
        },
      );
      const started = Date.now();
      const res = await request(app)
        .post('/v1/images?widths=10')
        .attach('image', await images.jpeg(20, 20), 'a.jpg');
      expect([res.status, errorCode(res), res.headers['retry-after']]).toEqual([
        503,
        'STORAGE_UNAVAILABLE',
        '5',
      ]);
      expect(Date.now() - started).toBeLessThan(5000);
      expect((await request(app).get('/readyz')).status).toBe(503);
    } finally {
      await hole.close();
    }
  });

  it("S3 hanging with long per-attempt timeouts: answered by the request's deadline", async () => {
    const hole = await blackHole();
    try {
      const { app } = buildTestApp(
        { env: { S3_ENDPOINT: hole.endpoint, S3_FORCE_PATH_STYLE: 'true' } },
        { S3_TIMEOUT_MS: '20000', S3_MAX_ATTEMPTS: '3', REQUEST_DEADLINE_MS: '1500' },
      );
      const started = Date.now();
      const res = await request(app)
        .post('/v1/images?widths=10')
        .attach('image', await images.jpeg(20, 20), 'a.jpg');
      const ms = Date.now() - started;
      expect([res.status, errorCode(res), res.headers['retry-after']]).toEqual([
        503,
        'STORAGE_UNAVAILABLE',
        '5',
      ]);
      expect((res.body as { error: { message: string } }).error.message).toMatch(/deadline/);
      // Not 20 s x 3 attempts: the S3 calls share the request's one deadline.
      expect(ms).toBeGreaterThanOrEqual(1400);
      expect(ms).toBeLessThan(3000);
    } finally {
      await hole.close();
    }
  });

  it('S3 down, then back: uploads work again without a restart', async () => {
    const first = await startS3({ bucket: 'flaky' });
    const port = Number(new URL(first.endpoint).port);
    const { app } = buildTestApp(first, { S3_TIMEOUT_MS: '500', S3_MAX_ATTEMPTS: '1' });
    await first.stop();
    const down = await request(app)
      .post('/v1/images?widths=10')
      .attach('image', await images.jpeg(20, 20), 'a.jpg');
    expect(errorCode(down)).toBe('STORAGE_UNAVAILABLE');
    const again = await startS3({ bucket: 'flaky', port });
    try {
      const res = await request(app)
        .post('/v1/images?widths=10')
        .attach('image', await images.jpeg(20, 20), 'a.jpg');
      expect(res.status).toBe(201);
    } finally {
      await again.stop();
    }
  });

  // That no partial object is left is checked against a stricter S3 server in s3-compat.test.ts:
  // s3rver keeps whatever part of a body it received.
  it('a PUT cut off mid-body: 503, after a bounded number of attempts', async () => {
    const s3 = await startS3({ bucket: 'cut' });
    const proxy = await cutPutsProxy(new URL(s3.endpoint));
    try {
      const { app } = buildTestApp(
        { ...s3, env: { ...s3.env, S3_ENDPOINT: proxy.endpoint } },
        { S3_MAX_ATTEMPTS: '2' },
      );
      const res = await request(app)
        .post('/v1/images?widths=64')
        .attach('image', await images.jpeg(400, 300), 'a.jpg');
      expect([res.status, errorCode(res)]).toEqual([503, 'STORAGE_UNAVAILABLE']);
      expect(proxy.puts()).toBe(2);
    } finally {
      await proxy.close();
      await s3.stop();
    }
  });
});
