import sharp, { type Sharp } from 'sharp';
import { AppError, processingTimedOut as timedOut } from '../errors/app-error';
import type { ResolvedVariant } from '../domain/variant-key';
import type { ImagePipeline, RenderedVariant, RenderOptions, SourceInfo } from './image-pipeline';
import { sharedSize } from './shared-decode';
import { sniffFormat } from './sniff-format';

export interface SharpPipelineOptions {
  maxInputPixels: number;
  /** libvips worker threads per image (sharp.concurrency): set deliberately, see README. */
  threadsPerImage: number;
  /** JPEG_MOZJPEG: mozjpeg settings instead of libjpeg-turbo's with optimised Huffman tables. */
  mozjpeg: boolean;
  /** AVIF_EFFORT, 0-9: the encoder's CPU time grows ~5x from 3 to 4 (docs/performance.md). */
  avifEffort: number;
}

export type Encoders = Record<ResolvedVariant['format'], (img: Sharp, quality: number) => Sharp>;

// Encoder settings, measured in docs/performance.md (12 MP -> 1280 px, q80). JPEG: progressive
// with optimised Huffman tables (49-65 ms, 149 KB); mozjpeg settings (trellis quantisation,
// optimised scans) make it ~8% smaller for 1.7-2.3x the time (108-112 ms, 137 KB): opt-in.
// WebP at effort 4, libvips' default. AVIF at AVIF_EFFORT: libvips' default (4) makes one large
// AVIF a job of many seconds that no deadline can interrupt (the encoder never yields), so the
// default is lower; the figures behind it are in docs/performance.md.
const encodersFor = ({ mozjpeg, avifEffort }: SharpPipelineOptions): Encoders => ({
  // JPEG has no alpha: flatten onto white, not libvips' default black.
  jpeg: (img, quality) =>
    img
      .flatten({ background: '#ffffff' })
      .jpeg(mozjpeg ? { quality, mozjpeg: true } : { quality, progressive: true }),
  png: (img) => img.png({ compressionLevel: 6, adaptiveFiltering: true }),
  webp: (img, quality) => img.webp({ quality, effort: 4 }),
  avif: (img, quality) => img.avif({ quality, effort: avifEffort }),
});

const unreadable = (cause: unknown) =>
  new AppError('UNREADABLE_IMAGE', 'the image could not be decoded (corrupt or truncated?)', {
    cause,
  });

const encoderFailed = (cause: unknown) =>
  new AppError('INTERNAL_ERROR', 'the image could not be encoded', { cause });

// Whose fault a failure is, from libvips' message: it starts with the failing operation or
// writer ("heifsave: Unsupported compression", "webpsave: ...", "pngsave_target: ...",
// "vips2png: ...", "VipsForeignSave: ..."), while decoders name theirs ("VipsJpeg", "vipspng",
// "gifload_buffer", "heif") and sharp prefixes unreadable headers with "Input buffer ...". Only
// the start counts: that is the root cause, and a failed decode goes on to fail the writer too
// ("VipsJpeg: premature end of JPEG image\nvips2png: unable to write to target"). libjpeg's and
// libheif's own errors use one name for both directions ("VipsJpeg", "heif"), and sharp's size
// check before saving names no operation: those stay the input's fault, as before.
const ENCODER_FAILURE = /^(?:\w*save\w*|vips2\w+):/i;

const isEncoderFailure = (cause: unknown) =>
  ENCODER_FAILURE.test(cause instanceof Error ? cause.message : String(cause));

/**
 * Runs a pipeline within the deadline. A failure is a timeout (504), the encoder's (500: the
 * server's fault, logged with its cause) or, otherwise, an input that could not be decoded (422).
 */
async function finish(image: Sharp, deadline: number | undefined) {
  if (deadline !== undefined) {
    const seconds = Math.ceil((deadline - Date.now()) / 1000);
    if (seconds <= 0) throw timedOut();
    image = image.timeout({ seconds });
  }
  try {
    return await image.toBuffer({ resolveWithObject: true });
  } catch (cause) {
    if (deadline !== undefined && Date.now() >= deadline) throw timedOut();
    throw isEncoderFailure(cause) ? encoderFailed(cause) : unreadable(cause);
  }
}

/**
 * `overrides` replaces encoders, for tests only: no input makes the production encoders fail, and
 * a test needs a real failing one to prove how an encoder failure is reported.
 */
export function createSharpPipeline(
  options: SharpPipelineOptions,
  overrides: Partial<Encoders> = {},
): ImagePipeline {
  // libvips' operation cache only pays off when the same input is processed again; uploads are
  // unique, so it would only hold memory.
  sharp.cache(false);
  sharp.concurrency(options.threadsPerImage);
  const encoders: Encoders = { ...encodersFor(options), ...overrides };

  const open = (input: Buffer) =>
    sharp(input, {
      // 'error' refuses truncated and corrupt data; 'warning' would also refuse the many
      // real-world camera JPEGs that carry harmless warnings.
      failOn: 'error',
      // Second line of defence: probe() already refused oversize headers with a clear error.
      limitInputPixels: options.maxInputPixels,
      autoOrient: true,
    });

  return {
    async probe(input: Buffer): Promise<SourceInfo> {
      if (input.length === 0) throw new AppError('EMPTY_IMAGE', 'the image is empty (0 bytes)');
      const sniffed = sniffFormat(input);
      if (!sniffed.accepted) {
        throw new AppError(
          'UNSUPPORTED_IMAGE_FORMAT',
          `not an image format we accept (detected: ${sniffed.detected}); send JPEG, PNG, WebP, AVIF, GIF or TIFF`,
        );
      }
      let meta: sharp.Metadata;
      try {
        // Header only; the limit is checked below with a clearer message than libvips'.
        meta = await sharp(input, { limitInputPixels: false }).metadata();
      } catch (cause) {
        throw unreadable(cause);
      }
      const { width, height } = meta.autoOrient;
      if (!width || !height) throw unreadable(new Error('no dimensions in header'));
      if (width * height > options.maxInputPixels) {
        throw new AppError(
          'IMAGE_TOO_LARGE',
          `the image is ${width}x${height} (${width * height} pixels); the limit is ${options.maxInputPixels} pixels`,
        );
      }
      return {
        format: sniffed.format,
        width,
        height,
        hasAlpha: meta.hasAlpha,
        pages: meta.pages ?? 1,
      };
    },

    async render(
      input: Buffer,
      variants: readonly ResolvedVariant[],
      { signal, deadline, source }: RenderOptions = {},
    ): Promise<RenderedVariant[]> {
      // Either every variant starts from one decoded, downscaled copy (see shared-decode.ts),
      // or each gets its own pipeline on the upload. Not sharp's `clone()`: it structuredClones
      // its options, the input buffer included (a copy of the upload per variant), and decodes
      // again anyway.
      let from = () => open(input);
      const shared = source && sharedSize(variants, source);
      if (shared) {
        const copy = open(input)
          .resize({ ...shared, fit: 'fill' })
          .raw({ depth: 'uchar' });
        const { data, info } = await finish(copy, deadline);
        const raw = { width: info.width, height: info.height, channels: info.channels };
        from = () => sharp(data, { raw });
      }
      const rendered: RenderedVariant[] = [];
      // One variant at a time: a job holds one libuv thread and one decode's memory, so
      // MAX_CONCURRENT_JOBS really bounds CPU and memory, and an abandoned request stops early.
      for (const variant of variants) {
        signal?.throwIfAborted();
        const image = from().resize({
          width: variant.width,
          height: variant.height,
          fit: variant.fit,
          withoutEnlargement: true,
        });
        const { data, info } = await finish(
          encoders[variant.format](image, variant.quality),
          deadline,
        );
        rendered.push({ variant, data, width: info.width, height: info.height });
      }
      return rendered;
    },
  };
}
