import request from 'supertest';
import * as images from '../support/images';
import { startS3, useS3 } from '../support/s3-server';
import { buildTestApp, TEST_BUILD } from '../support/test-app';

const s3 = useS3();

describe('health, readiness and metrics', () => {
  it('GET /healthz says ok with the version and revision of the build', async () => {
    const res = await request(buildTestApp(s3).app).get('/healthz');
    expect(res.status).toBe(200);
    expect(res.body).toEqual({ status: 'ok', ...TEST_BUILD });
  });

  it('GET /readyz is 200 while S3 answers', async () => {
    const res = await request(buildTestApp(s3).app).get('/readyz');
    expect([res.status, res.body]).toEqual([200, { status: 'ready' }]);
  });

  it('GET /readyz turns 503 when S3 stops, and back to 200 when it returns, without a restart', async () => {
    const own = await startS3({ bucket: 'ready-bucket' });
    // Readiness is cached for 2 s: this test moves its clock instead of waiting.
    let now = 0;
    const { app } = buildTestApp(own, {}, { now: () => now });
    expect((await request(app).get('/readyz')).status).toBe(200);
    const port = Number(new URL(own.endpoint).port);
    await own.stop();
    now += 1000; // still within the cache
    expect((await request(app).get('/readyz')).status).toBe(200);
    now += 1100;
    expect((await request(app).get('/readyz')).status).toBe(503);
    // The app's S3 client still points at the old port, so the new server takes it over.
    const back = await startS3({ bucket: 'ready-bucket', port });
    try {
      expect((await request(app).get('/readyz')).status).toBe(503);
      now += 2100;
      expect((await request(app).get('/readyz')).status).toBe(200);
    } finally {
      await back.stop();
    }
  });

  it('GET /readyz is 503 once shutdown has begun, while /healthz stays 200', async () => {
    const { app, draining } = buildTestApp(s3);
    draining.start();
    expect((await request(app).get('/readyz')).status).toBe(503);
    expect((await request(app).get('/healthz')).status).toBe(200);
  });

  it('GET /metrics serves Prometheus text with the service metrics and build_info', async () => {
    const { app } = buildTestApp(s3);
    await request(app)
      .post('/v1/images?widths=10&format=webp')
      .attach('image', await images.jpeg(20, 20), 'a.jpg')
      .expect(201);
    await request(app).get('/nowhere').expect(404);
    const res = await request(app).get('/metrics');
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toMatch(/^text\/plain/);
    const text = res.text;
    expect(text).toContain(
      `build_info{version="${TEST_BUILD.version}",revision="${TEST_BUILD.revision}"} 1`,
    );
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="POST",route="\/v1\/images",status_code="201"\} 1/,
    );
    expect(text).toMatch(
      /http_request_duration_seconds_count\{method="GET",route="unmatched",status_code="404"\} 1/,
    );
    expect(text).toMatch(/image_processing_duration_seconds_count\{format="webp"\} 1/);
    expect(text).toMatch(/image_variants_produced_total\{format="webp"\} 1/);
    expect(text).toMatch(/image_source_bytes_count 1/);
    // One variant: the upload's record looked up (missing), then the variant and it written.
    expect(text).toMatch(
      /s3_operation_duration_seconds_count\{operation="head",outcome="not_found"\} 1/,
    );
    expect(text).toMatch(
      /s3_operation_duration_seconds_count\{operation="put",outcome="success"\} 2/,
    );
    expect(text).toContain('process_cpu_seconds_total');
  });

  it('keeps each app instance on its own registry', async () => {
    const a = buildTestApp(s3);
    const b = buildTestApp(s3);
    await request(a.app).get('/healthz');
    expect(await b.registry.metrics()).not.toMatch(/route="\/healthz"/);
    expect(await a.registry.metrics()).toMatch(/route="\/healthz"/);
  });
});
