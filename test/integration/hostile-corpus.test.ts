import { readFileSync } from 'node:fs';
import path from 'node:path';
import request from 'supertest';
import sharp from 'sharp';
import { useS3 } from '../support/s3-server';
import { buildTestApp } from '../support/test-app';

/**
 * The hostile-input contract, table-driven over HTTP: every file in test/fixtures/hostile
 * (made by `npm run fixtures`) gets its status and stable code, quickly, with nothing written
 * to S3 for a rejected request.
 */
const fixture = (name: string) =>
  readFileSync(path.join(__dirname, '..', 'fixtures', 'hostile', name));

const s3 = useS3();

// A hang is a failure: no case may take anywhere near this long.
const HANG = 10_000;

const rejected: [file: string, label: string, status: number, code: string][] = [
  ['random-bytes.jpg', 'image/jpeg', 415, 'UNSUPPORTED_IMAGE_FORMAT'],
  ['text.txt', 'image/png', 415, 'UNSUPPORTED_IMAGE_FORMAT'],
  ['page.html', 'image/jpeg', 415, 'UNSUPPORTED_IMAGE_FORMAT'],
  ['document.pdf', 'image/jpeg', 415, 'UNSUPPORTED_IMAGE_FORMAT'],
  ['script.svg', 'image/svg+xml', 415, 'UNSUPPORTED_IMAGE_FORMAT'],
  ['xxe.svg', 'image/jpeg', 415, 'UNSUPPORTED_IMAGE_FORMAT'],
  ['image.bmp', 'image/bmp', 415, 'UNSUPPORTED_IMAGE_FORMAT'],
  ['image.heic', 'image/heic', 415, 'UNSUPPORTED_IMAGE_FORMAT'],
  ['image.jxl', 'image/jxl', 415, 'UNSUPPORTED_IMAGE_FORMAT'],
  ['image.ico', 'image/x-icon', 415, 'UNSUPPORTED_IMAGE_FORMAT'],
  ['empty.jpg', 'image/jpeg', 422, 'EMPTY_IMAGE'],
  ['truncated.jpg', 'image/jpeg', 422, 'UNREADABLE_IMAGE'],
  ['headers-only.jpg', 'image/jpeg', 422, 'UNREADABLE_IMAGE'],
  ['corrupt.png', 'image/png', 422, 'UNREADABLE_IMAGE'],
  ['bomb-50000x50000.png', 'image/png', 422, 'IMAGE_TOO_LARGE'],
  ['jpeg-declaring-60000x60000.jpg', 'image/jpeg', 422, 'IMAGE_TOO_LARGE'],
  // Data for 64x48 under a header claiming 7000x7000: libjpeg only warns, and fills with grey.
  ['jpeg-64x48-declaring-7000x7000.jpg', 'image/jpeg', 422, 'UNREADABLE_IMAGE'],
  // Refused from the container's own structure, before libvips walks 10,000 frames.
  ['webp-10000-frames.webp', 'image/webp', 422, 'TOO_MANY_FRAMES'],
  // A width alone keeps the aspect ratio: the variant would be 10,000,000 pixels tall.
  ['strip-1x10000000.png', 'image/png', 422, 'OUTPUT_TOO_LARGE'],
];

describe('hostile input corpus', () => {
  describe.each(['multipart', 'raw'] as const)('sent as %s', (mode) => {
    it.each(rejected)(
      '%s (labelled %s): %d %s, nothing stored',
      async (file, label, status, code) => {
        const { app } = buildTestApp(s3);
        const before = await s3.listKeys();
        const body = fixture(file);
        const req = request(app).post('/v1/images?widths=100').timeout(HANG);
        const res =
          mode === 'multipart'
            ? await req.attach('image', body, { filename: file, contentType: label })
            : await req
                .set(
                  'Content-Type',
                  label.startsWith('image/') ? label : 'application/octet-stream',
                )
                .send(body);
        expect([res.status, (res.body as { error?: { code?: string } }).error?.code]).toEqual([
          status,
          code,
        ]);
        expect(await s3.listKeys()).toEqual(before);
      },
    );
  });

  const valid = fixture('valid.jpg');
  it.each([
    ['widths=0', 'INVALID_PARAMETER'],
    ['widths=-320', 'INVALID_PARAMETER'],
    ['widths=abc', 'INVALID_PARAMETER'],
    ['widths=9000', 'INVALID_PARAMETER'],
    ['widths=1,2,3,4,5,6,7,8,9', 'INVALID_PARAMETER'],
    ['height=0', 'INVALID_PARAMETER'],
    ['widths=10&height=10&fit=squash', 'INVALID_PARAMETER'],
    ['format=svg', 'INVALID_PARAMETER'],
    ['quality=0', 'INVALID_PARAMETER'],
    ['quality=101', 'INVALID_PARAMETER'],
    ['widths=10&widths=20', 'INVALID_PARAMETER'],
    ['size=10', 'UNKNOWN_PARAMETER'],
  ])('400 for ?%s (%s)', async (query, code) => {
    const res = await request(buildTestApp(s3).app)
      .post(`/v1/images?${query}`)
      .timeout(HANG)
      .attach('image', valid, 'a.jpg');
    expect([res.status, (res.body as { error: { code: string } }).error.code]).toEqual([400, code]);
  });

  it.each([
    ['no file at all', (r: request.Test) => r.field('widths', '10'), 'MISSING_FILE'],
    [
      'the file under another field',
      (r: request.Test) => r.attach('file', valid, 'a.jpg'),
      'UNEXPECTED_FIELD',
    ],
    [
      'two files',
      (r: request.Test) => r.attach('image', valid, 'a.jpg').attach('image', valid, 'b.jpg'),
      'TOO_MANY_FILES',
    ],
    [
      'too many form fields',
      (r: request.Test) => {
        for (let i = 0; i < 20; i++) r.field(`f${i}`, 'x');
        return r.attach('image', valid, 'a.jpg');
      },
      'TOO_MANY_PARTS',
    ],
  ])('400 for %s (%s)', async (_what, build, code) => {
    const res = await build(request(buildTestApp(s3).app).post('/v1/images').timeout(HANG));
    expect([res.status, (res.body as { error: { code: string } }).error.code]).toEqual([400, code]);
  });

  it('refuses a JSON request body with 415 UNSUPPORTED_MEDIA_TYPE', async () => {
    const res = await request(buildTestApp(s3).app)
      .post('/v1/images')
      .timeout(HANG)
      .set('Content-Type', 'application/json')
      .send('{"image":"aGVsbG8="}');
    expect([res.status, (res.body as { error: { code: string } }).error.code]).toEqual([
      415,
      'UNSUPPORTED_MEDIA_TYPE',
    ]);
  });

  it.each([
    ['a valid JPEG declared as image/png', 'valid.jpg', 'photo.png', 'image/png', 'jpeg'],
    [
      'a file named ../../etc/passwd.jpg',
      'valid.jpg',
      '../../etc/passwd.jpg',
      'image/jpeg',
      'jpeg',
    ],
    ['a CMYK JPEG', 'cmyk.jpg', 'cmyk.jpg', 'image/jpeg', 'jpeg'],
    ['a 16-bit PNG', 'rgb16.png', 'rgb16.png', 'image/png', 'png'],
  ])('accepts %s', async (_what, file, filename, label, format) => {
    const { app } = buildTestApp(s3, { S3_KEY_PREFIX: 'corpus/' });
    const res = await request(app)
      .post('/v1/images?widths=32')
      .timeout(HANG)
      .attach('image', fixture(file), { filename, contentType: label });
    expect([200, 201]).toContain(res.status);
    const { id, variants } = res.body as {
      id: string;
      variants: { key: string; format: string }[];
    };
    expect(variants[0]).toMatchObject({
      key: `corpus/${id}/${format === 'jpeg' ? 'w32-q80.jpg' : 'w32.png'}`,
      format,
    });
    const stored = await sharp((await s3.getObject(variants[0]!.key)).body).metadata();
    expect([stored.format, stored.space, stored.depth]).toEqual([format, 'srgb', 'uchar']);
  });

  it.each([
    ['widths=200', 'png'],
    // WebP cannot be over 16383 px: once told as "could not be decoded", though it decodes.
    ['widths=200&format=webp', 'webp'],
  ])('a 1x10,000,000 strip on /v1/resize?%s: 422 OUTPUT_TOO_LARGE, saying why', async (query) => {
    const res = await request(buildTestApp(s3).app)
      .post(`/v1/resize?${query}`)
      .timeout(HANG)
      .set('Content-Type', 'image/png')
      .send(fixture('strip-1x10000000.png'));
    const { code, message } = (res.body as { error: { code: string; message: string } }).error;
    expect([res.status, code]).toEqual([422, 'OUTPUT_TOO_LARGE']);
    expect(message).toContain('1x10000000');
  });

  it('the same strip in a box is made, within MAX_OUTPUT_DIMENSION (documented cost)', async () => {
    const res = await request(buildTestApp(s3).app)
      .post('/v1/resize?widths=100&height=100')
      .timeout(HANG)
      .set('Content-Type', 'image/png')
      .send(fixture('strip-1x10000000.png'));
    expect(res.status).toBe(200);
    expect([res.headers['x-image-width'], res.headers['x-image-height']]).toEqual(['1', '100']);
  });

  it('serves a small request promptly while many-frame uploads arrive', async () => {
    const { app } = buildTestApp(s3, { MAX_CONCURRENT_JOBS: '2' });
    const manyFrames = fixture('webp-10000-frames.webp');
    const storm = Array.from({ length: 6 }, () =>
      request(app)
        .post('/v1/images?widths=32')
        .timeout(HANG)
        .set('Content-Type', 'image/webp')
        .send(manyFrames),
    );
    const started = Date.now();
    const small = await request(app)
      .post('/v1/resize?widths=16')
      .timeout(HANG)
      .set('Content-Type', 'image/jpeg')
      .send(valid);
    const smallMs = Date.now() - started;
    expect(small.status).toBe(200);
    for (const res of await Promise.all(storm)) {
      expect([res.status, (res.body as { error: { code: string } }).error.code]).toEqual([
        422,
        'TOO_MANY_FRAMES',
      ]);
    }
    expect(smallMs).toBeLessThan(1000);
  });

  it('takes only the first frame of an animation (documented decision)', async () => {
    const res = await request(buildTestApp(s3).app)
      .post('/v1/images?widths=32&format=webp')
      .timeout(HANG)
      .attach('image', fixture('animated-120-frames.gif'), 'anim.gif');
    expect(res.status).toBe(201);
    const stored = (
      await s3.getObject((res.body as { variants: { key: string }[] }).variants[0]!.key)
    ).body;
    const meta = await sharp(stored, { pages: -1 }).metadata();
    expect([meta.pages ?? 1, meta.width, meta.height]).toEqual([1, 32, 32]);
  });
});
