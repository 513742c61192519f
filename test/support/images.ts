import sharp from 'sharp';

/** A seeded PRNG (mulberry32): the same seed gives the same bytes on every run. */
function seeded(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

// Each image made without a seed gets the next one: distinct uploads (other hashes, other keys)
// by default, and the same ones on every run.
let nextSeed = 1;

export interface PhotoOptions {
  /** The same seed, the same pixels. */
  seed?: number;
  /** Fine noise on top, 0-255: more makes larger files (a camera's sensor noise). */
  grain?: number;
}

/**
 * The one generator of test and benchmark images (no downloads, no binary fixtures). "Photo-like":
 * seeded low-resolution noise scaled up, smooth colour fields that compress as a photo does,
 * plus optional grain.
 */
export async function photo(
  width: number,
  height: number,
  { seed = nextSeed++, grain = 0 }: PhotoOptions = {},
): Promise<sharp.Sharp> {
  const random = seeded(seed);
  const sw = Math.max(8, Math.round(width / 60));
  const sh = Math.max(8, Math.round(height / 60));
  const small = Buffer.alloc(sw * sh * 3);
  for (let i = 0; i < small.length; i++) small[i] = Math.floor(random() * 256);
  const base = await sharp(small, { raw: { width: sw, height: sh, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer();
  if (grain > 0) {
    for (let i = 0; i < base.length; i++) {
      base[i] = Math.max(0, Math.min(255, (base[i] ?? 0) + Math.floor((random() - 0.5) * grain)));
    }
  }
  return sharp(base, { raw: { width, height, channels: 3 } });
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
