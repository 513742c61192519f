import sharp from 'sharp';

/**
 * Real images generated on the fly with sharp (no downloads, no binary fixtures). "Photo-like"
 * images are low-resolution noise scaled up: smooth blobs that compress like a photo does.
 */
export async function photo(width: number, height: number, seedSigma = 60): Promise<sharp.Sharp> {
  const small = await sharp({
    create: {
      width: Math.max(8, Math.round(width / 50)),
      height: Math.max(8, Math.round(height / 50)),
      channels: 3,
      background: '#808080',
      noise: { type: 'gaussian', mean: 128, sigma: seedSigma },
    },
  })
    .png()
    .toBuffer();
  return sharp(small).resize(width, height, { fit: 'fill', kernel: 'cubic' });
}

export const jpeg = async (width: number, height: number, quality = 85) =>
  (await photo(width, height)).jpeg({ quality }).toBuffer();

export const png = async (width: number, height: number) =>
  (await photo(width, height)).png().toBuffer();

export const webp = async (width: number, height: number) =>
  (await photo(width, height)).webp().toBuffer();

export const avif = async (width: number, height: number) =>
  (await photo(width, height)).avif({ effort: 0 }).toBuffer();

export const tiff = async (width: number, height: number) =>
  (await photo(width, height)).tiff().toBuffer();

export const gif = async (width: number, height: number) =>
  (await photo(width, height)).gif().toBuffer();

/** Half-transparent red square on a transparent background. */
export const pngWithAlpha = (width: number, height: number) =>
  sharp({ create: { width, height, channels: 4, background: { r: 255, g: 0, b: 0, alpha: 0.5 } } })
    .png()
    .toBuffer();

export const cmykJpeg = async (width: number, height: number) =>
  (await photo(width, height)).toColourspace('cmyk').jpeg().toBuffer();

export const png16 = async (width: number, height: number) =>
  (await photo(width, height)).toColourspace('rgb16').png().toBuffer();

/**
 * Stored landscape (left half red, right half blue) with EXIF orientation 6: a viewer must
 * rotate it 90 degrees clockwise, so upright it is portrait with red on top, blue below.
 */
export async function exifRotatedJpeg(width = 300, height = 200): Promise<Buffer> {
  const half = Math.floor(width / 2);
  const red = await sharp({ create: { width: half, height, channels: 3, background: '#ff0000' } })
    .png()
    .toBuffer();
  return sharp({ create: { width, height, channels: 3, background: '#0000ff' } })
    .composite([{ input: red, left: 0, top: 0 }])
    .withMetadata({ orientation: 6 })
    .jpeg({ quality: 95 })
    .toBuffer();
}

/** The colour of one pixel of an encoded image, after decoding with sharp. */
export async function pixelAt(image: Buffer, x: number, y: number) {
  const { data, info } = await sharp(image)
    .removeAlpha()
    .raw()
    .toBuffer({ resolveWithObject: true });
  const at = (y * info.width + x) * info.channels;
  return { r: data[at] ?? -1, g: data[at + 1] ?? -1, b: data[at + 2] ?? -1 };
}

/**
 * The same JPEG with a different comment segment: a distinct upload (other hash, other keys)
 * without encoding a new 12 MP image for every request.
 */
export function withComment(jpegBytes: Buffer, text: string): Buffer {
  const comment = Buffer.from(text, 'latin1');
  const header = Buffer.from([0xff, 0xfe, 0, 0]);
  header.writeUInt16BE(comment.length + 2, 2);
  return Buffer.concat([jpegBytes.subarray(0, 2), header, comment, jpegBytes.subarray(2)]);
}
