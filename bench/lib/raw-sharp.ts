import sharp from 'sharp';

/**
 * The ceiling: sharp in-process doing what the service does for one request, with the same
 * settings (failOn 'error', auto-orient, withoutEnlargement, flatten, mozjpeg JPEG q80, one
 * libvips thread, cache off), variants one after another, a new pipeline per variant.
 * Repeated here on purpose rather than imported: the ceiling is sharp alone.
 */
export function rawSharp(input: Buffer, widths: readonly number[]): Promise<unknown> {
  sharp.cache(false);
  sharp.concurrency(1);
  return widths.reduce<Promise<unknown>>(
    (previous, width) =>
      previous.then(() =>
        sharp(input, { failOn: 'error', autoOrient: true })
          .resize({ width, withoutEnlargement: true })
          .flatten({ background: '#ffffff' })
          .jpeg({ quality: 80, mozjpeg: true })
          .toBuffer(),
      ),
    Promise.resolve(),
  );
}

export const versions = () => ({ sharp: sharp.versions.sharp, libvips: sharp.versions.vips });
