import request from 'supertest';
import sharp from 'sharp';
import * as images from '../support/images';
import { startS3, useS3 } from '../support/s3-server';
import { buildTestApp } from '../support/test-app';

const s3 = useS3();

const binary = (req: request.Test) =>
  req.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (c: Buffer) => chunks.push(c));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });

describe('POST /v1/resize', () => {
  it('answers with the image bytes, their type, length and an ETag, and stores nothing', async () => {
    const { app } = buildTestApp(s3);
    const before = await s3.listKeys();
    const res = await binary(
      request(app)
        .post('/v1/resize?widths=200&format=webp')
        .attach('image', await images.jpeg(800, 600), 'a.jpg'),
    );
    expect(res.status).toBe(200);
    expect(res.headers['content-type']).toBe('image/webp');
    const body = res.body as Buffer;
    expect(Number(res.headers['content-length'])).toBe(body.length);
    expect(res.headers.etag).toMatch(/^"[A-Za-z0-9_-]{27}"$/);
    expect([res.headers['x-image-width'], res.headers['x-image-height']]).toEqual(['200', '150']);
    const meta = await sharp(body).metadata();
    expect([meta.format, meta.width, meta.height]).toEqual(['webp', 200, 150]);
    expect(await s3.listKeys()).toEqual(before);
  });

  it('gives the same ETag for the same input and parameters, another for other parameters', async () => {
    const { app } = buildTestApp(s3);
    const photo = await images.jpeg(300, 200);
    const etag = async (query: string) =>
      (await request(app).post(`/v1/resize?${query}`).set('Content-Type', 'image/jpeg').send(photo))
        .headers.etag;
    expect(await etag('widths=100')).toBe(await etag('widths=100'));
    expect(await etag('widths=100')).not.toBe(await etag('widths=101'));
  });

  it('takes a height alone', async () => {
    const { app } = buildTestApp(s3);
    const res = await request(app)
      .post('/v1/resize?height=50&format=png')
      .attach('image', await images.jpeg(300, 200), 'a.jpg');
    expect([res.status, res.headers['x-image-width'], res.headers['x-image-height']]).toEqual([
      200,
      '75',
      '50',
    ]);
  });

  it('400 unless the parameters make exactly one variant, checked before the body is read', async () => {
    const { app } = buildTestApp(s3);
    const photo = await images.jpeg(100, 100);
    for (const query of ['widths=100,200', '']) {
      const res = await request(app)
        .post(`/v1/resize?${query}`)
        .set('Content-Type', 'image/jpeg')
        .send(photo);
      expect(res.status).toBe(400);
      expect((res.body as { error: { code: string } }).error.code).toBe('INVALID_PARAMETER');
    }
  });

  it('works without S3', async () => {
    const down = await startS3();
    const { app } = buildTestApp(down);
    await down.stop();
    const res = await request(app)
      .post('/v1/resize?widths=10')
      .attach('image', await images.jpeg(20, 20), 'a.jpg');
    expect(res.status).toBe(200);
  });
});
