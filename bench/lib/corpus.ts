import sharp from 'sharp';

/** A seeded PRNG (mulberry32): the corpus is the same bytes on every run. */
function seeded(seed: number) {
  let a = seed;
  return () => {
    a = (a + 0x6d2b79f5) | 0;
    let t = Math.imul(a ^ (a >>> 15), 1 | a);
    t = (t + Math.imul(t ^ (t >>> 7), 61 | t)) ^ t;
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** Photo-like: seeded low-resolution noise scaled up (smooth colour fields) plus fine grain. */
async function photo(width: number, height: number, seed: number, grain: number) {
  const random = seeded(seed);
  const sw = Math.max(8, Math.round(width / 60));
  const sh = Math.max(8, Math.round(height / 60));
  const small = Buffer.alloc(sw * sh * 3);
  for (let i = 0; i < small.length; i++) small[i] = Math.floor(random() * 256);
  const base = await sharp(small, { raw: { width: sw, height: sh, channels: 3 } })
    .resize(width, height, { fit: 'fill', kernel: 'cubic' })
    .raw()
    .toBuffer();
  if (grain > 0)
    for (let i = 0; i < base.length; i++)
      base[i] = Math.max(0, Math.min(255, base[i]! + Math.floor((random() - 0.5) * grain)));
  return sharp(base, { raw: { width, height, channels: 3 } });
}

export interface Corpus {
  photo12mp: Buffer;
  png1080pAlpha: Buffer;
  jpeg640: Buffer;
  jpeg20mb: Buffer;
}

export async function makeCorpus(): Promise<Corpus> {
  const alphaRaw = await (await photo(1920, 1080, 2, 0)).ensureAlpha(0.6).raw().toBuffer();
  return {
    photo12mp: await (await photo(4000, 3000, 1, 8)).jpeg({ quality: 90 }).toBuffer(),
    png1080pAlpha: await sharp(alphaRaw, { raw: { width: 1920, height: 1080, channels: 4 } })
      .png()
      .toBuffer(),
    jpeg640: await (await photo(640, 480, 3, 8)).jpeg({ quality: 85 }).toBuffer(),
    // Grain at q94, 4:4:4 makes a ~20 MB file: the memory scenario's upload.
    jpeg20mb: await (
      await photo(6000, 4500, 4, 36)
    )
      .jpeg({ quality: 94, chromaSubsampling: '4:4:4' })
      .toBuffer(),
  };
}

/** The same JPEG with a distinct comment: another upload (other hash), same pixels. */
export function variantOf(jpeg: Buffer, n: number): Buffer {
  const text = Buffer.from(`bench ${n}`, 'latin1');
  const header = Buffer.from([0xff, 0xfe, 0, 0]);
  header.writeUInt16BE(text.length + 2, 2);
  return Buffer.concat([jpeg.subarray(0, 2), header, text, jpeg.subarray(2)]);
}
