import sharp from 'sharp';
import { sharedSize } from '../../src/image/shared-decode';

const variant = (width: number) => ({
  width,
  fit: 'inside' as const,
  format: 'jpeg' as const,
  quality: 80,
});

/**
 * The ceiling: sharp in-process doing what the service does for one request, with the same
 * settings (header read first, failOn 'error', auto-orient, withoutEnlargement, flatten, progressive
 * JPEG q80, one libvips thread, cache off), variants one after another from one shared decode
 * when the service would share it (the sizing rule is imported: it is arithmetic, not overhead).
 * The sharp calls are repeated here on purpose: the ceiling is sharp alone. Returns the encoded
 * variants, which the ceiling drops and bench/bare-server.ts sends.
 */
export async function rawSharp(input: Buffer, widths: readonly number[]): Promise<Buffer[]> {
  sharp.cache(false);
  sharp.concurrency(1);
  const { autoOrient } = await sharp(input).metadata();
  const shared = sharedSize(widths.map(variant), autoOrient);
  let from = () => sharp(input, { failOn: 'error', autoOrient: true });
  if (shared) {
    const { data, info } = await from()
      .resize({ ...shared, fit: 'fill' })
      .raw({ depth: 'uchar' })
      .toBuffer({ resolveWithObject: true });
    const raw = { width: info.width, height: info.height, channels: info.channels };
    from = () => sharp(data, { raw });
  }
  const encoded: Buffer[] = [];
  for (const width of widths) {
    encoded.push(
      await from()
        .resize({ width, withoutEnlargement: true })
        .flatten({ background: '#ffffff' })
        .jpeg({ quality: 80, progressive: true })
        .toBuffer(),
    );
  }
  return encoded;
}

export const versions = () => ({ sharp: sharp.versions.sharp, libvips: sharp.versions.vips });
