import { once } from 'node:events';
import { connect } from 'node:net';
import type { Histogram } from 'prom-client';
import request from 'supertest';
import { listen, sleep, until } from '../support/listen';
import { useS3 } from '../support/s3-server';
import { buildTestApp } from '../support/test-app';

const s3 = useS3();

type Built = ReturnType<typeof buildTestApp>;

/** The http_request_duration_seconds counts, one "route status" entry per observation. */
async function observed(built: Built, method = 'POST'): Promise<string[]> {
  const histogram = built.registry.getSingleMetric('http_request_duration_seconds') as Histogram;
  const { values } = await histogram.get();
  return values
    .filter((v) => v.metricName === 'http_request_duration_seconds_count')
    .filter((v) => v.labels.method === method)
    .flatMap((v) => Array<string>(v.value).fill(`${v.labels.route} ${v.labels.status_code}`));
}

/** The observations once `check` accepts them, or whatever there is after `ms`. */
async function eventually(built: Built, check: (seen: string[]) => boolean, ms = 5000) {
  const end = Date.now() + ms;
  while (Date.now() < end && !check(await observed(built))) await sleep(10);
  return observed(built);
}

/**
 * Starts a raw upload to /v1/images that declares 100 kB and sends 1 kB: the request is admitted
 * and reading its body, and stays so until the socket is destroyed.
 */
async function startSlowUpload(port: number) {
  const socket = connect(port, '127.0.0.1');
  await once(socket, 'connect');
  socket.on('error', () => undefined);
  socket.write(
    'POST /v1/images?widths=10 HTTP/1.1\r\nHost: x\r\nContent-Type: image/jpeg\r\nContent-Length: 100000\r\n\r\n',
  );
  socket.write(Buffer.alloc(1000, 0xff));
  return socket;
}

describe('http_request_duration_seconds', () => {
  it('observes a request whose client disconnected, as status 499', async () => {
    const built = buildTestApp(s3);
    const server = await listen(built);
    try {
      const socket = await startSlowUpload(server.port);
      expect(await until(() => built.capacity.stats().admitted === 1, 5000)).toBe(true);
      socket.destroy();
      expect(await eventually(built, (seen) => seen.length > 0)).toEqual(['/v1/images 499']);
      // Observed once: nothing more comes later for the same request.
      expect(await until(() => built.capacity.stats().admitted === 0, 5000)).toBe(true);
      expect(await observed(built)).toEqual(['/v1/images 499']);
    } finally {
      await server.close();
    }
  });

  it('labels a 401 from the API-key check with the route asked for, however it is spelled', async () => {
    const built = buildTestApp(s3, { API_KEYS: 'route-label-key-0123456789' });
    await request(built.app).post('/v1/images?widths=10').send().expect(401);
    // Express matches case-insensitively and ignores a trailing slash: so does the label.
    await request(built.app).post('/V1/Resize/?widths=10').send().expect(401);
    expect((await observed(built)).sort()).toEqual(['/v1/images 401', '/v1/resize 401']);
  });

  it('labels an admission 503 (SERVER_BUSY) with the route asked for', async () => {
    const built = buildTestApp(s3, { MAX_CONCURRENT_JOBS: '1', MAX_QUEUED_JOBS: '0' });
    const server = await listen(built);
    try {
      // The slow upload holds the only admission, so the next request is shed at once.
      const socket = await startSlowUpload(server.port);
      expect(await until(() => built.capacity.stats().admitted === 1, 5000)).toBe(true);
      const shed = await fetch(`${server.url}/v1/images?widths=10`, {
        method: 'POST',
        headers: { 'Content-Type': 'image/jpeg' },
        body: Buffer.alloc(1000, 0xff),
      });
      expect(shed.status).toBe(503);
      expect(await eventually(built, (seen) => seen.length > 0)).toEqual(['/v1/images 503']);
      socket.destroy();
    } finally {
      await server.close();
    }
  });

  it('keeps "unmatched" for paths no route serves, so label values stay few', async () => {
    const built = buildTestApp(s3, { API_KEYS: 'route-label-key-0123456789' });
    await request(built.app).get('/nope').expect(404);
    await request(built.app).post('/v1/images/extra').send().expect(401);
    await request(built.app).post('/v1/imagesx').send().expect(401);
    expect(await observed(built, 'GET')).toEqual(['unmatched 404']);
    expect(await observed(built)).toEqual(['unmatched 401', 'unmatched 401']);
  });
});
