import sharp from 'sharp';
import { AppError } from '../../src/errors/app-error';
import type { ResolvedVariant } from '../../src/domain/variant-key';
import { createSharpPipeline } from '../../src/image/sharp-pipeline';
import * as images from '../support/images';

const options = {
  maxInputPixels: 50_000_000,
  maxInputFrames: 1000,
  mozjpeg: false,
  avifEffort: 3,
  webpEffort: 2,
};
const pipeline = createSharpPipeline(options);
const v = (over: Partial<ResolvedVariant>): ResolvedVariant => ({
  fit: 'inside',
  format: 'jpeg',
  quality: 80,
  ...over,
});

async function rejection(promise: Promise<unknown>): Promise<AppError> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  if (err instanceof AppError) return err;
  throw new Error(`expected an AppError, got ${String(err)}`);
}

/** The ArrayBuffers `run` detaches with transfer(0): their size then and whether it took. */
async function releasedBuffers(run: () => Promise<void>) {
  const seen: { buffer: ArrayBuffer; bytes: number }[] = [];
  const transfer = Object.getOwnPropertyDescriptor(ArrayBuffer.prototype, 'transfer')?.value as (
    this: ArrayBuffer,
    length?: number,
  ) => ArrayBuffer;
  const spy = jest.spyOn(ArrayBuffer.prototype, 'transfer').mockImplementation(function (
    this: ArrayBuffer,
    length?: number,
  ) {
    if (length === 0) seen.push({ buffer: this, bytes: this.byteLength });
    return transfer.call(this, length);
  });
  try {
    await run();
  } finally {
    spy.mockRestore();
  }
  return seen.map(({ buffer, bytes }) => ({ bytes, detached: buffer.detached }));
}

describe('sharp pipeline: probe', () => {
  it('reads format, upright dimensions and alpha from the header', async () => {
    expect(await pipeline.probe(await images.exifRotatedJpeg(300, 200))).toEqual({
      format: 'jpeg',
      width: 200,
      height: 300,
      hasAlpha: false,
    });
    expect(await pipeline.probe(await images.pngWithAlpha(10, 20))).toMatchObject({
      format: 'png',
      hasAlpha: true,
    });
  });

  it('refuses what is not an accepted image with 415, whatever it claims to be', async () => {
    const err = await rejection(
      pipeline.probe(Buffer.from('<svg xmlns="http://www.w3.org/2000/svg"/>')),
    );
    expect(err).toMatchObject({ status: 415, code: 'UNSUPPORTED_IMAGE_FORMAT' });
    expect(err.message).toContain('svg');
  });

  it('refuses an empty file with 422 EMPTY_IMAGE', async () => {
    expect(await rejection(pipeline.probe(Buffer.alloc(0)))).toMatchObject({
      status: 422,
      code: 'EMPTY_IMAGE',
    });
  });

  it('refuses an image over the pixel limit from its header alone', async () => {
    const small = createSharpPipeline({
      maxInputPixels: 10_000,
      maxInputFrames: 1000,
      mozjpeg: false,
      avifEffort: 3,
      webpEffort: 2,
    });
    const err = await rejection(small.probe(await images.png(200, 100)));
    expect(err).toMatchObject({ status: 422, code: 'IMAGE_TOO_LARGE' });
    expect(err.message).toContain('200x100');
  });
});

describe('sharp pipeline: render', () => {
  it('makes every variant at the asked size, keeping the aspect ratio', async () => {
    const out = await pipeline.render(await images.jpeg(1200, 800), [
      v({ width: 300 }),
      v({ width: 600 }),
    ]);
    expect(out.map((o) => [o.width, o.height])).toEqual([
      [300, 200],
      [600, 400],
    ]);
    for (const o of out) {
      const meta = await sharp(o.data).metadata();
      expect([meta.format, meta.width, meta.height]).toEqual(['jpeg', o.width, o.height]);
    }
  });

  it('never enlarges beyond the source', async () => {
    const [out] = await pipeline.render(await images.png(100, 50), [
      v({ width: 1000, format: 'png' }),
    ]);
    expect([out?.width, out?.height]).toEqual([100, 50]);
  });

  it.each([
    ['cover', 200, 200],
    ['fill', 200, 200],
    ['contain', 200, 200],
    ['inside', 200, 100],
    ['outside', 400, 200],
  ] as const)('fit=%s in a 200x200 box from 800x400 gives %dx%d', async (fit, width, height) => {
    const [out] = await pipeline.render(await images.jpeg(800, 400), [
      v({ width: 200, height: 200, fit }),
    ]);
    expect([out?.width, out?.height]).toEqual([width, height]);
  });

  it.each(['jpeg', 'png', 'webp', 'avif'] as const)('encodes %s', async (format) => {
    const [out] = await pipeline.render(await images.jpeg(400, 300), [v({ width: 100, format })]);
    const meta = await sharp(out!.data).metadata();
    expect(meta.format).toBe(format === 'avif' ? 'heif' : format);
    if (format === 'avif') expect(meta.compression).toBe('av1');
  });

  it('writes progressive JPEG', async () => {
    const [out] = await pipeline.render(await images.jpeg(400, 300), [v({ width: 200 })]);
    expect((await sharp(out!.data).metadata()).isProgressive).toBe(true);
  });

  it('applies EXIF orientation: the rotated photo comes out upright', async () => {
    const [out] = await pipeline.render(await images.exifRotatedJpeg(300, 200), [
      v({ width: 100, format: 'png' }),
    ]);
    expect([out?.width, out?.height]).toEqual([100, 150]);
    const top = await images.pixelAt(out!.data, 50, 10);
    const bottom = await images.pixelAt(out!.data, 50, 140);
    expect(top.r).toBeGreaterThan(200);
    expect(top.b).toBeLessThan(60);
    expect(bottom.b).toBeGreaterThan(200);
    expect(bottom.r).toBeLessThan(60);
  });

  it('strips metadata (EXIF, orientation) from the output', async () => {
    const [out] = await pipeline.render(await images.exifRotatedJpeg(), [v({ width: 100 })]);
    const meta = await sharp(out!.data).metadata();
    expect(meta.exif).toBeUndefined();
    expect(meta.orientation).toBeUndefined();
  });

  it('converts CMYK to 8-bit sRGB', async () => {
    const [out] = await pipeline.render(await images.cmykJpeg(200, 100), [v({ width: 100 })]);
    const meta = await sharp(out!.data).metadata();
    expect([meta.space, meta.channels]).toEqual(['srgb', 3]);
  });

  it('turns a 16-bit PNG into an 8-bit sRGB one', async () => {
    const [out] = await pipeline.render(await images.png16(200, 100), [
      v({ width: 100, format: 'png' }),
    ]);
    const meta = await sharp(out!.data).metadata();
    expect([meta.space, meta.depth, meta.bitsPerSample]).toEqual(['srgb', 'uchar', 8]);
  });

  it('keeps PNG alpha, and flattens it onto white for JPEG', async () => {
    const [asPng, asJpeg] = await pipeline.render(await images.pngWithAlpha(40, 40), [
      v({ width: 20, format: 'png' }),
      v({ width: 20, format: 'jpeg' }),
    ]);
    expect((await sharp(asPng!.data).metadata()).hasAlpha).toBe(true);
    // 50% red over white is pink (255, ~128, ~128), not dark red over black.
    const pixel = await images.pixelAt(asJpeg!.data, 10, 10);
    expect(pixel.r).toBeGreaterThan(240);
    expect(pixel.g).toBeGreaterThan(100);
  });

  it.each([
    ['a JPEG', () => images.jpeg(1200, 800)],
    ['an EXIF-rotated JPEG', () => images.exifRotatedJpeg(600, 400)],
    ['a CMYK JPEG', () => images.cmykJpeg(800, 400)],
    ['a PNG with alpha', () => images.pngWithAlpha(600, 600)],
    ['a 16-bit PNG', () => images.png16(600, 300)],
  ])(
    'several variants of %s from one shared decode match one pipeline each',
    async (_what, make) => {
      const input = await make();
      const source = await pipeline.probe(input);
      const variants = [
        v({ width: 100 }),
        v({ width: 300, format: 'png' }),
        v({ width: 200, height: 200, fit: 'cover', format: 'webp' }),
        v({ height: 150 }),
      ];
      const shared = await pipeline.render(input, variants, { source });
      const separate = await pipeline.render(input, variants);
      for (const [i, out] of shared.entries()) {
        const alone = separate[i]!;
        expect([out.width, out.height]).toEqual([alone.width, alone.height]);
        const meta = await sharp(out.data).metadata();
        expect([meta.format, meta.channels]).toEqual([
          (await sharp(alone.data).metadata()).format,
          (await sharp(alone.data).metadata()).channels,
        ]);
        // Resampling twice may move a pixel value by a few levels, never more.
        const a = await sharp(out.data).raw().toBuffer();
        const b = await sharp(alone.data).raw().toBuffer();
        const meanDifference = a.reduce((sum, x, k) => sum + Math.abs(x - b[k]!), 0) / a.length;
        expect(meanDifference).toBeLessThan(3);
      }
    },
  );

  // The shared copy is freed when the render ends rather than at V8's next full collection
  // (docs/performance.md, "The shared copy freed at once"); freed while a pipeline still read it,
  // libvips would read freed memory, hence only after the last one has settled.
  it('frees the shared copy once its variants are made, and only a shared copy', async () => {
    const released = await releasedBuffers(async () => {
      const input = await images.jpeg(1200, 800);
      const source = await pipeline.probe(input);
      const outputs = await pipeline.render(input, [v({ width: 100 }), v({ width: 300 })], {
        source,
      });
      expect(outputs.map((o) => o.width)).toEqual([100, 300]);
      // One variant: no shared copy, nothing of sharp's to free.
      await pipeline.render(input, [v({ width: 300 })], { source });
    });
    // 1200x800 scaled for a 300 px variant: 300x200 RGB.
    expect(released).toEqual([{ bytes: 300 * 200 * 3, detached: true }]);
  });

  it('makes smaller JPEGs with JPEG_MOZJPEG (trellis quantisation), progressive either way', async () => {
    const input = await images.jpeg(800, 600);
    const mozjpeg = createSharpPipeline({ ...options, mozjpeg: true });
    const [plain] = await pipeline.render(input, [v({ width: 400 })]);
    const [small] = await mozjpeg.render(input, [v({ width: 400 })]);
    expect((await sharp(plain!.data).metadata()).isProgressive).toBe(true);
    expect((await sharp(small!.data).metadata()).isProgressive).toBe(true);
    expect(small!.data.length).toBeLessThan(plain!.data.length);
  });

  // The lowest and a high effort: the files differ only if the setting reaches the encoder.
  it.each([
    ['AVIF_EFFORT', 'avif', 'heif', { avifEffort: 0 }, { avifEffort: 4 }],
    ['WEBP_EFFORT', 'webp', 'webp', { webpEffort: 0 }, { webpEffort: 6 }],
  ] as const)(
    'encodes at %s: more effort, smaller files',
    async (_setting, format, detected, low, high) => {
      const input = await images.jpeg(800, 600);
      const variant = v({ width: 400, format });
      const [fast] = await createSharpPipeline({ ...options, ...low }).render(input, [variant]);
      const [careful] = await createSharpPipeline({ ...options, ...high }).render(input, [variant]);
      expect((await sharp(careful!.data).metadata()).format).toBe(detected);
      expect(careful!.data.length).toBeLessThan(fast!.data.length);
    },
  );

  it('handles a 1x1 image', async () => {
    const [out] = await pipeline.render(await images.png(1, 1), [
      v({ width: 320, format: 'webp' }),
    ]);
    expect([out?.width, out?.height]).toEqual([1, 1]);
  });

  it('refuses a truncated JPEG with 422 UNREADABLE_IMAGE', async () => {
    const whole = await images.jpeg(600, 400);
    const err = await rejection(
      pipeline.render(whole.subarray(0, whole.length / 2), [v({ width: 100 })]),
    );
    expect(err).toMatchObject({ status: 422, code: 'UNREADABLE_IMAGE' });
  });

  // libvips then also reports the PNG writer failing ("vips2png: unable to write to target"),
  // after the decoder's error: the input is still to blame.
  it.each(['png', 'webp', 'avif'] as const)(
    'refuses a truncated JPEG with 422 UNREADABLE_IMAGE when encoding %s too',
    async (format) => {
      const whole = await images.jpeg(600, 400);
      const err = await rejection(
        pipeline.render(whole.subarray(0, whole.length / 2), [v({ width: 100, format })]),
      );
      expect(err).toMatchObject({ status: 422, code: 'UNREADABLE_IMAGE' });
    },
  );
});

describe('sharp pipeline: encoder failures are ours, not the client', () => {
  // A real libvips encoder failure: the prebuilt libheif has no HEVC encoder, so heifsave
  // fails inside libvips when the pipeline runs ("heifsave: Unsupported compression").
  const broken = createSharpPipeline(
    {
      maxInputPixels: 50_000_000,
      maxInputFrames: 1000,
      mozjpeg: false,
      avifEffort: 3,
      webpEffort: 2,
    },
    { avif: (img) => img.heif({ compression: 'hevc' }) },
  );

  it('reports a failing encoder as 500 INTERNAL_ERROR with the libvips error as cause', async () => {
    const err = await rejection(
      broken.render(await images.jpeg(400, 300), [v({ width: 100, format: 'avif' })]),
    );
    expect(err).toMatchObject({ status: 500, code: 'INTERNAL_ERROR' });
    expect(err.message).not.toMatch(/libvips|heif/i);
    expect(err.cause).toBeInstanceOf(Error);
    expect((err.cause as Error).message).toMatch(/^heifsave: /);
  });

  it('does so from the shared decode too, and frees the shared copy', async () => {
    const input = await images.jpeg(1200, 800);
    const source = await broken.probe(input);
    const released = await releasedBuffers(async () => {
      const err = await rejection(
        broken.render(input, [v({ width: 100 }), v({ width: 300, format: 'avif' })], { source }),
      );
      expect(err).toMatchObject({ status: 500, code: 'INTERNAL_ERROR' });
    });
    expect(released).toEqual([{ bytes: 300 * 200 * 3, detached: true }]);
  });
});
