import request from 'supertest';
import * as images from '../support/images';
import { startS3, useS3 } from '../support/s3-server';
import { buildTestApp } from '../support/test-app';

const s3 = useS3();

interface ErrorBody {
  error: { code: string; message: string; requestId: string };
}

/** Every failure has the same JSON shape, a stable code, and the request id of the response. */
function expectError(res: request.Response, status: number, code: string) {
  expect(res.status).toBe(status);
  expect(res.headers['content-type']).toMatch(/^application\/json/);
  const body = res.body as ErrorBody;
  expect(Object.keys(body)).toEqual(['error']);
  expect(body.error.code).toBe(code);
  expect(typeof body.error.message).toBe('string');
  expect(body.error.requestId).toBe(res.headers['x-request-id']);
  return body.error;
}

describe('errors', () => {
  it.each([
    ['widths=0', 'widths: 0 is below 1'],
    ['widths=abc', 'widths: "abc" is not a whole number'],
    ['quality=101', 'quality: 101 is outside 1-100'],
    [
      'fit=squash&widths=10&height=10',
      'fit: "squash" is not one of cover, contain, fill, inside, outside',
    ],
    ['format=bmp', 'format: "bmp" is not one of jpeg, png, webp, avif, original'],
    ['widths=10&widths=20', 'widths: given more than once'],
  ])('400 INVALID_PARAMETER for ?%s, stating the problem', async (query, message) => {
    const { app } = buildTestApp(s3);
    const res = await request(app)
      .post(`/v1/images?${query}`)
      .attach('image', await images.jpeg(20, 20), 'a.jpg');
    expect(expectError(res, 400, 'INVALID_PARAMETER').message).toBe(message);
  });

  it('400 UNKNOWN_PARAMETER for a misspelt parameter, in the query or the form', async () => {
    const { app } = buildTestApp(s3);
    const photo = await images.jpeg(20, 20);
    expectError(
      await request(app).post('/v1/images?width=100').attach('image', photo, 'a.jpg'),
      400,
      'UNKNOWN_PARAMETER',
    );
    expectError(
      await request(app).post('/v1/images').field('qualty', '50').attach('image', photo, 'a.jpg'),
      400,
      'UNKNOWN_PARAMETER',
    );
  });

  it('400 MISSING_FILE for a form without the image, or no body at all', async () => {
    const { app } = buildTestApp(s3);
    expectError(await request(app).post('/v1/images').field('widths', '100'), 400, 'MISSING_FILE');
    expectError(await request(app).post('/v1/images'), 400, 'MISSING_FILE');
  });

  it('400 UNEXPECTED_FIELD for the file under another field name, 400 TOO_MANY_FILES for two', async () => {
    const { app } = buildTestApp(s3);
    const photo = await images.jpeg(20, 20);
    expectError(
      await request(app).post('/v1/images').attach('file', photo, 'a.jpg'),
      400,
      'UNEXPECTED_FIELD',
    );
    expectError(
      await request(app)
        .post('/v1/images')
        .attach('image', photo, 'a.jpg')
        .attach('image', photo, 'b.jpg'),
      400,
      'TOO_MANY_FILES',
    );
  });

  it('413 PAYLOAD_TOO_LARGE over MAX_UPLOAD_BYTES, multipart or raw, with the connection closed', async () => {
    const { app } = buildTestApp(s3, { MAX_UPLOAD_BYTES: '1000' });
    const big = await images.png(100, 100);
    expect(big.length).toBeGreaterThan(1000);
    const form = await request(app).post('/v1/images').attach('image', big, 'big.png');
    expectError(form, 413, 'PAYLOAD_TOO_LARGE');
    expect(form.headers.connection).toBe('close');
    expectError(
      await request(app).post('/v1/images').set('Content-Type', 'image/png').send(big),
      413,
      'PAYLOAD_TOO_LARGE',
    );
  });

  it('415 UNSUPPORTED_IMAGE_FORMAT for bytes that are not an accepted image, whatever their label', async () => {
    const { app } = buildTestApp(s3);
    const svg = Buffer.from('<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"/>');
    const err = expectError(
      await request(app)
        .post('/v1/images')
        .attach('image', svg, { filename: 'x.jpg', contentType: 'image/jpeg' }),
      415,
      'UNSUPPORTED_IMAGE_FORMAT',
    );
    expect(err.message).toContain('svg');
    expectError(
      await request(app)
        .post('/v1/images')
        .set('Content-Type', 'image/jpeg')
        .send(Buffer.from('%PDF-1.4 fake')),
      415,
      'UNSUPPORTED_IMAGE_FORMAT',
    );
  });

  it('415 UNSUPPORTED_MEDIA_TYPE for a JSON or text body', async () => {
    const { app } = buildTestApp(s3);
    expectError(
      await request(app).post('/v1/images').send({ image: 'x' }),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
    expectError(
      await request(app).post('/v1/images').set('Content-Type', 'text/plain').send('hello'),
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    );
  });

  it('422 for an empty file and for a truncated JPEG', async () => {
    const { app } = buildTestApp(s3);
    expectError(
      await request(app).post('/v1/images').attach('image', Buffer.alloc(0), 'empty.jpg'),
      422,
      'EMPTY_IMAGE',
    );
    const whole = await images.jpeg(400, 300);
    expectError(
      await request(app)
        .post('/v1/images')
        .attach('image', whole.subarray(0, whole.length >> 1), 'cut.jpg'),
      422,
      'UNREADABLE_IMAGE',
    );
  });

  it('422 IMAGE_TOO_LARGE over MAX_INPUT_PIXELS', async () => {
    const { app } = buildTestApp(s3, { MAX_INPUT_PIXELS: '10000' });
    const err = expectError(
      await request(app)
        .post('/v1/images')
        .attach('image', await images.png(200, 100), 'a.png'),
      422,
      'IMAGE_TOO_LARGE',
    );
    expect(err.message).toContain('10000');
  });

  it('writes nothing to S3 for a rejected request', async () => {
    const before = await s3.listKeys();
    const { app } = buildTestApp(s3, { MAX_INPUT_PIXELS: '10000' });
    const whole = await images.jpeg(400, 300);
    await request(app).post('/v1/images?widths=0').attach('image', whole, 'a.jpg').expect(400);
    await request(app)
      .post('/v1/images')
      .attach('image', whole.subarray(0, 500), 'a.jpg')
      .expect(422);
    await request(app).post('/v1/images').attach('image', Buffer.from('nope'), 'a.jpg').expect(415);
    expect(await s3.listKeys()).toEqual(before);
  });

  it('503 STORAGE_UNAVAILABLE with Retry-After when S3 is down', async () => {
    const down = await startS3();
    const { app } = buildTestApp(down);
    await down.stop();
    const res = await request(app)
      .post('/v1/images?widths=10')
      .attach('image', await images.jpeg(20, 20), 'a.jpg');
    expectError(res, 503, 'STORAGE_UNAVAILABLE');
    expect(res.headers['retry-after']).toBe('5');
  });

  it('404 NOT_FOUND as JSON for an unknown route', async () => {
    const { app } = buildTestApp(s3);
    expectError(await request(app).get('/v1/nothing'), 404, 'NOT_FOUND');
  });
});

describe('request ids and logs', () => {
  it('echoes a safe incoming X-Request-Id and replaces an unsafe one', async () => {
    const { app } = buildTestApp(s3);
    expect(
      (await request(app).get('/healthz').set('X-Request-Id', 'abc-123')).headers['x-request-id'],
    ).toBe('abc-123');
    const replaced = (await request(app).get('/healthz').set('X-Request-Id', 'bad id\twith spaces'))
      .headers['x-request-id'];
    expect(replaced).toMatch(/^[0-9a-f-]{36}$/);
  });

  it('writes one JSON line per request with id, method, route, status and duration; never the Authorization header', async () => {
    const { app, logLines } = buildTestApp(s3);
    await request(app)
      .post('/v1/images?widths=10')
      .set('X-Request-Id', 'req-log-1')
      .set('Authorization', 'Bearer super-secret-key')
      .attach('image', await images.jpeg(20, 20), 'a.jpg')
      .expect(201);
    const lines = logLines.filter(
      (l) => (l.req as { id?: string } | undefined)?.id === 'req-log-1',
    );
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatchObject({
      req: { id: 'req-log-1', method: 'POST', url: '/v1/images?widths=10' },
      route: '/v1/images',
      res: { statusCode: 201 },
      responseTime: expect.any(Number) as number,
    });
    expect(JSON.stringify(logLines)).not.toContain('super-secret-key');
  });
});
