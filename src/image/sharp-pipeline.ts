import sharp, { type Sharp } from 'sharp';
import { AppError, processingTimedOut } from '../errors/app-error';
import type { ResolvedVariant } from '../domain/variant-key';
import type { ImagePipeline, RenderedVariant, RenderOptions, SourceInfo } from './image-pipeline';
import { sharedSize } from './shared-decode';
import { readContainer } from './container-structure';
import { jpegSourceSize } from './jpeg-header';
import { sniffFormat } from './sniff-format';

export interface SharpPipelineOptions {
  maxInputPixels: number;
  /** MAX_INPUT_FRAMES: frames or pages, counted from the file's structure before decoding. */
  maxInputFrames: number;
  /** JPEG_MOZJPEG: mozjpeg settings instead of libjpeg-turbo's with optimised Huffman tables. */
  mozjpeg: boolean;
  /** AVIF_EFFORT, 0-9: the encoder's CPU time grows ~5x from 3 to 4 (docs/performance.md). */
  avifEffort: number;
  /** WEBP_EFFORT, 0-6: 4 (libvips' default) takes ~2x the CPU of 2 for ~3-6% fewer bytes. */
  webpEffort: number;
}

export type Encoders = Record<ResolvedVariant['format'], (img: Sharp, quality: number) => Sharp>;

// Encoder settings; the measurements behind each are in docs/performance.md, "Encoders". JPEG:
// progressive with optimised Huffman tables; mozjpeg's settings (trellis quantisation, optimised
// scans) make smaller files for about twice the time: opt-in (JPEG_MOZJPEG). WebP and AVIF at
// WEBP_EFFORT and AVIF_EFFORT: neither encoder yields to a deadline once started, so the effort
// bounds the longest job. At libvips' defaults (4 for both) a 2400 px AVIF is ~13 s of a core
// and a 27 MP WebP ~5 s; our defaults (3 and 2) cut those to ~3 s and ~2.4 s, for files 3-20%
// larger (docs/performance.md).
const encodersFor = ({ mozjpeg, avifEffort, webpEffort }: SharpPipelineOptions): Encoders => ({
  // JPEG has no alpha: flatten onto white, not libvips' default black.
  jpeg: (img, quality) =>
    img
      .flatten({ background: '#ffffff' })
      .jpeg(mozjpeg ? { quality, mozjpeg: true } : { quality, progressive: true }),
  png: (img) => img.png({ compressionLevel: 6, adaptiveFiltering: true }),
  webp: (img, quality) => img.webp({ quality, effort: webpEffort }),
  avif: (img, quality) => img.avif({ quality, effort: avifEffort }),
});

const unreadable = (cause: unknown) =>
  new AppError('UNREADABLE_IMAGE', 'the image could not be decoded (corrupt or truncated?)', {
    cause,
  });

const encoderFailed = (cause: unknown) =>
  new AppError('INTERNAL_ERROR', 'the image could not be encoded', { cause });

/** Header only; the pixel limit is checked by the caller, with a clearer message than libvips'. */
async function libvipsHeader(input: Buffer) {
  try {
    const meta = await sharp(input, { limitInputPixels: false }).metadata();
    return { ...meta.autoOrient, hasAlpha: meta.hasAlpha };
  } catch (cause) {
    throw unreadable(cause);
  }
}

/** Whose fault a failed pipeline is: the input's (422) or the server's (500). */
type Blame = (cause: unknown) => Promise<AppError> | AppError;

/**
 * Runs a pipeline within the deadline. A failure is a timeout (504), or what `blame` says. Not
 * decided from libvips' message: its error buffer is shared by every thread, so under
 * concurrency one job's message can lose its first line or carry another job's.
 */
async function finish(image: Sharp, deadline: number | undefined, blame: Blame) {
  if (deadline !== undefined) {
    const seconds = Math.ceil((deadline - Date.now()) / 1000);
    if (seconds <= 0) throw processingTimedOut();
    image = image.timeout({ seconds });
  }
  try {
    return await image.toBuffer({ resolveWithObject: true });
  } catch (cause) {
    if (deadline !== undefined && Date.now() >= deadline) throw processingTimedOut();
    throw await blame(cause);
  }
}

/**
 * Frees a buffer sharp made now, not at V8's next full collection: V8 counts it as external
 * memory until then, and every 64 MB of that starts a full collection. Only once no pipeline
 * reads it: `finish` settles when libvips has stopped, a timeout included. A buffer that is a
 * view into a larger one is left to the collector. It pays with the image's glibc thresholds
 * (Dockerfile), which keep the memory for the next upload instead of giving it to the kernel.
 */
function release(buffer: Buffer) {
  if (buffer.byteOffset === 0 && buffer.byteLength === buffer.buffer.byteLength) {
    (buffer.buffer as ArrayBuffer).transfer(0);
  }
}

/**
 * sharp's settings are global to the process (libvips' cache and thread count), so the
 * composition root sets them once, explicitly, rather than as a side effect of a factory.
 */
export function configureSharp({
  threadsPerImage,
}: {
  /** SHARP_CONCURRENCY: libvips worker threads per image, set deliberately (docs/operations.md). */
  threadsPerImage: number;
}) {
  // libvips' operation cache only pays off when the same input is processed again; uploads are
  // unique, so it would only hold memory.
  sharp.cache(false);
  sharp.concurrency(threadsPerImage);
}

/**
 * `overrides` replaces encoders, for tests only: no input makes the production encoders fail, and
 * a test needs a real failing one to prove how an encoder failure is reported.
 */
export function createSharpPipeline(
  options: SharpPipelineOptions,
  overrides: Partial<Encoders> = {},
): ImagePipeline {
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

  /**
   * Whether the upload decodes at all (shrunk on load where the format allows: cheap), within
   * what is left of the deadline: past it, the failure is a timeout whoever's fault it was.
   */
  const decodes = async (input: Buffer, deadline: number | undefined) => {
    const image = open(input).resize({ width: 64, height: 64, fit: 'inside' }).raw();
    try {
      await finish(image, deadline, unreadable);
      return true;
    } catch (err) {
      if (err instanceof AppError && err.code === 'PROCESSING_TIMEOUT') throw err;
      return false;
    }
  };

  return {
    sniff(input: Buffer) {
      const sniffed = sniffFormat(input);
      return sniffed.accepted ? sniffed.format : undefined;
    },

    async probe(input: Buffer): Promise<SourceInfo> {
      if (input.length === 0) throw new AppError('EMPTY_IMAGE', 'the image is empty (0 bytes)');
      const sniffed = sniffFormat(input);
      if (!sniffed.accepted) {
        throw new AppError(
          'UNSUPPORTED_IMAGE_FORMAT',
          `not an image format we accept (detected: ${sniffed.detected}); send JPEG, PNG, WebP, AVIF, GIF or TIFF`,
        );
      }
      // Before any decoder: libvips' header read walks every frame.
      const container = readContainer(input, sniffed.format, options.maxInputFrames);
      if (container.frames > options.maxInputFrames) {
        throw new AppError(
          'TOO_MANY_FRAMES',
          `the image has more than ${options.maxInputFrames} frames or pages; only the first is used, send it alone`,
        );
      }
      const { width, height, hasAlpha } =
        jpegSourceSize(container.jpeg) ?? (await libvipsHeader(input));
      if (!width || !height) throw unreadable(new Error('no dimensions in header'));
      if (width * height > options.maxInputPixels) {
        throw new AppError(
          'IMAGE_TOO_LARGE',
          `the image is ${width}x${height} (${width * height} pixels); the limit is ${options.maxInputPixels} pixels`,
        );
      }
      // After the size check, whose message says more about a header claiming a huge image.
      if (!container.complete) {
        throw new AppError(
          'UNREADABLE_IMAGE',
          'the JPEG is truncated: its data ends before the image it declares does',
        );
      }
      return {
        format: sniffed.format,
        width,
        height,
        hasAlpha,
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
      // Decoding and encoding in one pipeline: a failure is the encoder's only if the upload
      // decodes on its own (a small decode, on failures only).
      let blame: Blame = async (cause) =>
        ((await decodes(input, deadline)) ? encoderFailed : unreadable)(cause);
      const shared = source && sharedSize(variants, source);
      let copy: Buffer | undefined;
      if (shared) {
        const decode = open(input)
          .resize({ ...shared, fit: 'fill' })
          .raw({ depth: 'uchar' });
        const { data, info } = await finish(decode, deadline, unreadable);
        const raw = { width: info.width, height: info.height, channels: info.channels };
        from = () => sharp(data, { raw });
        copy = data;
        // Pixels already decoded cannot be the input's fault.
        blame = encoderFailed;
      }
      const rendered: RenderedVariant[] = [];
      try {
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
            blame,
          );
          rendered.push({ variant, data, width: info.width, height: info.height });
        }
      } finally {
        if (copy) release(copy);
      }
      return rendered;
    },
  };
}
