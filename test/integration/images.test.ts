import request from 'supertest';
import sharp from 'sharp';
import { digestOf } from '../../src/domain/content-digest';
import * as images from '../support/images';
import { useS3 } from '../support/s3-server';
import { buildTestApp } from '../support/test-app';

const s3 = useS3();

interface Body {
  id: string;
  source: { format: string; width: number; height: number; bytes: number };
  variants: {
    key: string;
    url?: string;
    width: number;
    height: number;
    format: string;
    bytes: number;
  }[];
  deduplicated: boolean;
}

const keysUnder = async (id: string) => (await s3.listKeys()).filter((k) => k.includes(id));

describe('POST /v1/images', () => {
  it('stores a 12 MP JPEG as the asked WebP variants, readable back from S3', async () => {
    const { app } = buildTestApp(s3);
    const photo = await images.jpeg(4000, 3000);
    const res = await request(app)
      .post('/v1/images?widths=320,1280&format=webp')
      .attach('image', photo, 'photo.jpg');

    expect(res.status).toBe(201);
    const body = res.body as Body;
    expect(body.id).toBe(digestOf(photo));
    expect(body.source).toEqual({ format: 'jpeg', width: 4000, height: 3000, bytes: photo.length });
    expect(body.deduplicated).toBe(false);
    expect(body.variants.map((v) => [v.key, v.width, v.height, v.format])).toEqual([
      [`${body.id}/w320-q80.webp`, 320, 240, 'webp'],
      [`${body.id}/w1280-q80.webp`, 1280, 960, 'webp'],
    ]);
    for (const variant of body.variants) {
      const object = await s3.getObject(variant.key);
      expect(object.contentType).toBe('image/webp');
      expect(object.cacheControl).toBe('public, max-age=31536000, immutable');
      expect(object.metadata).toEqual({
        'source-blake3': body.id,
        'source-format': 'jpeg',
        'source-width': '4000',
        'source-height': '3000',
        width: String(variant.width),
        height: String(variant.height),
      });
      expect(object.body.length).toBe(variant.bytes);
      const meta = await sharp(object.body).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual([
        'webp',
        variant.width,
        variant.height,
      ]);
    }
  });

  it('is idempotent: the same upload again gives the same keys, 200, and stores nothing new', async () => {
    const { app, registry } = buildTestApp(s3);
    const photo = await images.jpeg(800, 600);
    const first = await request(app)
      .post('/v1/images?widths=100,200')
      .attach('image', photo, 'a.jpg');
    expect(first.status).toBe(201);
    const stored = await s3.getObject((first.body as Body).variants[0]!.key);

    const again = await request(app)
      .post('/v1/images?widths=100,200')
      .attach('image', photo, 'b.jpg');
    expect(again.status).toBe(200);
    expect(again.body).toEqual({ ...(first.body as Body), deduplicated: true });
    // The two variants and the upload's record (src/domain/upload-record.ts), nothing more.
    const id = (first.body as Body).id;
    expect((await keysUnder(id)).sort()).toEqual([
      `${id}/record`,
      `${id}/w100-q80.jpg`,
      `${id}/w200-q80.jpg`,
    ]);
    expect(
      (await s3.getObject((first.body as Body).variants[0]!.key)).body.equals(stored.body),
    ).toBe(true);
    const metrics = await registry.metrics();
    expect(metrics).toMatch(/image_variants_produced_total\{format="jpeg"\} 2\b/);
    expect(metrics).toMatch(/image_variants_deduplicated_total 2\b/);
  });

  it('only processes the variants that do not exist yet', async () => {
    const { app, registry } = buildTestApp(s3);
    const photo = await images.jpeg(800, 600);
    await request(app)
      .post('/v1/images?widths=100&format=png')
      .attach('image', photo, 'photo.jpg')
      .expect(201);
    const res = await request(app)
      .post('/v1/images?widths=100,200&format=png')
      .attach('image', photo, 'photo.jpg');
    expect(res.status).toBe(201);
    expect((res.body as Body).deduplicated).toBe(false);
    expect((res.body as Body).variants.map((v) => v.width)).toEqual([100, 200]);
    expect(await registry.metrics()).toMatch(/image_variants_produced_total\{format="png"\} 2\b/);
  });

  it('takes the raw image as the body, with the same id as a multipart upload of it', async () => {
    const { app } = buildTestApp(s3);
    const photo = await images.jpeg(300, 200);
    const raw = await request(app)
      .post('/v1/images?widths=50')
      .set('Content-Type', 'image/jpeg')
      .send(photo);
    expect(raw.status).toBe(201);
    const form = await request(app)
      .post('/v1/images?widths=50')
      .attach('image', photo, 'photo.jpg');
    expect(form.status).toBe(200);
    expect((form.body as Body).id).toBe((raw.body as Body).id);
  });

  it('accepts application/octet-stream and decides the format from the bytes, not the label', async () => {
    const { app } = buildTestApp(s3);
    const photo = await images.jpeg(300, 200);
    const octet = await request(app)
      .post('/v1/images?widths=60')
      .set('Content-Type', 'application/octet-stream')
      .send(photo);
    expect(octet.status).toBe(201);
    expect((octet.body as Body).source.format).toBe('jpeg');
    const mislabelled = await request(app)
      .post('/v1/images?widths=60')
      .attach('image', photo, { filename: 'x.png', contentType: 'image/png' });
    expect(mislabelled.status).toBe(200);
    expect((mislabelled.body as Body).variants[0]!.format).toBe('jpeg');
  });

  it('reads parameters from multipart text fields', async () => {
    const { app } = buildTestApp(s3);
    const res = await request(app)
      .post('/v1/images')
      .field('widths', '80')
      .field('height', '80')
      .field('fit', 'cover')
      .field('format', 'avif')
      .field('quality', '50')
      .attach('image', await images.jpeg(400, 200), 'upload.bin');
    expect(res.status).toBe(201);
    expect((res.body as Body).variants).toMatchObject([{ width: 80, height: 80, format: 'avif' }]);
    expect((res.body as Body).variants[0]!.key).toMatch(/\/w80-h80-cover-q50\.avif$/);
    expect((await s3.getObject((res.body as Body).variants[0]!.key)).contentType).toBe(
      'image/avif',
    );
  });

  it('makes the default widths when no size is given', async () => {
    const { app } = buildTestApp(s3, { DEFAULT_WIDTHS: '40,80' });
    const res = await request(app)
      .post('/v1/images')
      .attach('image', await images.png(200, 100), 'upload.bin');
    expect((res.body as Body).variants.map((v) => [v.width, v.height, v.format])).toEqual([
      [40, 20, 'png'],
      [80, 40, 'png'],
    ]);
  });

  it('expands an operator preset', async () => {
    const { app } = buildTestApp(s3, {
      PRESETS: '{"avatar":{"widths":[32,64],"height":64,"fit":"cover","format":"webp"}}',
    });
    const res = await request(app)
      .post('/v1/images?preset=avatar')
      .attach('image', await images.jpeg(300, 200), 'upload.bin');
    expect(res.status).toBe(201);
    expect((res.body as Body).variants.map((v) => [v.width, v.height, v.format])).toEqual([
      [32, 64, 'webp'],
      [64, 64, 'webp'],
    ]);
  });

  it.each([
    ['JPEG', 'jpeg', 'jpeg', () => images.jpeg(320, 240)],
    ['PNG with alpha', 'png', 'png', () => images.pngWithAlpha(320, 240)],
    ['WebP', 'webp', 'webp', () => images.webp(320, 240)],
    ['AVIF', 'avif', 'avif', () => images.avif(320, 240)],
    ['TIFF', 'tiff', 'jpeg', () => images.tiff(320, 240)],
    ['GIF', 'gif', 'png', () => images.gif(160, 120)],
    ['CMYK JPEG', 'jpeg', 'jpeg', () => images.cmykJpeg(320, 240)],
    ['16-bit PNG', 'png', 'png', () => images.png16(320, 240)],
  ])(
    'takes a %s (source %s, format=original stores %s)',
    async (_name, sourceFormat, outFormat, make) => {
      const { app } = buildTestApp(s3);
      const res = await request(app)
        .post('/v1/images?widths=64')
        .attach('image', await make(), 'upload.bin');
      expect(res.status).toBe(201);
      const body = res.body as Body;
      expect(body.source.format).toBe(sourceFormat);
      expect(body.variants[0]).toMatchObject({ width: 64, format: outFormat });
      const meta = await sharp((await s3.getObject(body.variants[0]!.key)).body).metadata();
      expect(meta.format === 'heif' ? 'avif' : meta.format).toBe(outFormat);
      expect(meta.space).toBe('srgb');
    },
  );

  it('takes a 1x1 PNG and never enlarges it', async () => {
    const { app } = buildTestApp(s3);
    const res = await request(app)
      .post('/v1/images?widths=320,640')
      .attach('image', await images.png(1, 1), 'upload.bin');
    expect(res.status).toBe(201);
    expect((res.body as Body).variants.map((v) => [v.width, v.height])).toEqual([
      [1, 1],
      [1, 1],
    ]);
  });

  it('stores an EXIF-rotated photo upright', async () => {
    const { app } = buildTestApp(s3);
    const res = await request(app)
      .post('/v1/images?widths=100&format=png')
      .attach('image', await images.exifRotatedJpeg(300, 200), 'upload.bin');
    const variant = (res.body as Body).variants[0]!;
    expect([variant.width, variant.height]).toEqual([100, 150]);
    const stored = (await s3.getObject(variant.key)).body;
    expect((await images.pixelAt(stored, 50, 5)).r).toBeGreaterThan(200);
    expect((await images.pixelAt(stored, 50, 145)).b).toBeGreaterThan(200);
  });

  it('never lets the client file name reach a key', async () => {
    const { app } = buildTestApp(s3, { S3_KEY_PREFIX: 'uploads/' });
    const res = await request(app)
      .post('/v1/images?widths=20')
      .attach('image', await images.jpeg(40, 40), '../../etc/passwd.jpg');
    expect(res.status).toBe(201);
    const { id, variants } = res.body as Body;
    expect(variants[0]!.key).toBe(`uploads/${id}/w20-q80.jpg`);
    expect((await s3.listKeys()).some((k) => k.includes('passwd') || k.includes('..'))).toBe(false);
  });

  it('gives each variant a public url when S3_PUBLIC_BASE_URL is set, and none otherwise', async () => {
    const photo = await images.jpeg(64, 64);
    const withUrl = await request(
      buildTestApp(s3, { S3_PUBLIC_BASE_URL: 'https://cdn.example.com/img' }).app,
    )
      .post('/v1/images?widths=16')
      .attach('image', photo, 'photo.jpg');
    const { variants } = withUrl.body as Body;
    expect(variants[0]!.url).toBe(`https://cdn.example.com/img/${variants[0]!.key}`);
    const without = await request(buildTestApp(s3).app)
      .post('/v1/images?widths=16')
      .attach('image', photo, 'photo.jpg');
    expect((without.body as Body).variants[0]).not.toHaveProperty('url');
  });
});
